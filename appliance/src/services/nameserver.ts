/** The Jami name server (@lanbox/nameserver), mounted on the web port. */
import { createNameServer, type NameDatabase, type NameServer, type NameServerStatus, type Logger } from '@lanbox/nameserver';
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

/** Housekeeping period for the name server's rate-limit table. */
const TICK_MS = 60_000;

export function createNameServerService(options: { adminToken: string | null }, components: { db: NameDatabase; logger: Logger }): NameServerService {
  let server: NameServer | null = null;
  let timer: NodeJS.Timeout | null = null;

  return {
    name: 'nameserver',
    get server() {
      return server;
    },
    route: async (req, res) => (server === null ? false : server.handle(req, res)),
    async start() {
      server = await createNameServer(options.adminToken === null ? {} : { adminToken: options.adminToken }, components);
      const s = server;
      timer = setInterval(() => s.tick(), TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await server?.close();
    },
    status(): NameServerServiceStatus {
      if (server === null) return STOPPED;
      const s = server.status();
      const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
      const summary =
        `${s.names} names registered (limit ${s.maxNames}); ${s.lookups.byName + s.lookups.byAddr} lookups, ` +
        `${s.registrations.accepted} registrations, ${rejected} refused, ${s.rateLimited} rate-limited` +
        (s.corruptRecords > 0 ? `; ${s.corruptRecords} unreadable records` : '');
      return { ...s, state: s.state, summary };
    },
  };
}
