/** The Jami name server (@lanbox/nameserver), mounted on the web port. */
import { createNameServer, StoreLockedError, type NameServer, type NameServerStatus, type Logger, type Registry } from '@lanbox/nameserver';
import type { RouteHandler } from '../web/server.js';
import { STOPPED, type ApplianceService, type ServiceStatus, type StoppedStatus } from './service.js';

/** The name server's part of /api/status: its own status plus a summary sentence. */
export type NameServerServiceStatus = (NameServerStatus & ServiceStatus) | StoppedStatus;

export interface NameServerService extends ApplianceService<NameServerServiceStatus> {
  /** The name server's routes; answers 503 before start and after stop. */
  readonly route: RouteHandler;
  /** The running name server (for operator actions), or null before start. */
  readonly server: NameServer | null;
}

/**
 * Housekeeping period: rate-limit table, reopening the names store after a failed write once
 * there is room again, and due backups.
 */
const TICK_MS = 10_000;

export function createNameServerService(options: { adminToken: string | null }, components: { registry: Registry; logger: Logger }): NameServerService {
  let server: NameServer | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failed: string | null = null;

  return {
    name: 'nameserver',
    get server() {
      return server;
    },
    route: async (req, res) => (server === null ? false : server.handle(req, res)),
    async start() {
      try {
        server = await createNameServer(options.adminToken === null ? {} : { adminToken: options.adminToken }, components);
      } catch (err) {
        // The name server failing must not take the DHT down with it; only a second box on the
        // same data dir is fatal.
        if (err instanceof StoreLockedError) throw err;
        failed = err instanceof Error ? err.message : String(err);
        components.logger.error({ err }, 'name server could not start');
        return;
      }
      const s = server;
      timer = setInterval(() => void s.tick(), TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await server?.close();
    },
    status(): NameServerServiceStatus {
      if (server === null) return failed === null ? STOPPED : { state: 'down', summary: `could not start: ${failed}` };
      const s = server.status();
      const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
      const summary =
        `${s.names} names registered (limit ${s.maxNames}); ${s.lookups.byName + s.lookups.byAddr} lookups, ` +
        `${s.registrations.accepted} registrations, ${rejected} refused, ${s.rateLimited} rate-limited` +
        (s.corruptRecords > 0 ? `; ${s.corruptRecords} unreadable records` : '') +
        (s.store !== null && s.store.state !== 'ok' ? `; names store ${s.store.state}: ${s.store.problem ?? ''}` : '') +
        (s.store?.damage != null && (s.store.repairedAt === null || s.store.damage.detectedAt > s.store.repairedAt)
          ? `; names store was damaged (${s.store.damage.error}): ${s.store.damage.namesRead} names read, ${s.store.damage.restoredFromBackup} restored from the backup, ${s.store.damage.lost} lost`
          : '');
      return { ...s, state: s.state, summary };
    },
  };
}
