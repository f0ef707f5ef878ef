/**
 * The box's own push service (@lanbox/push) on its own port: the server the ntfy app connects
 * to as UnifiedPush distributor. Its own port, not the web port: each phone holds one stream
 * for hours, which the web port's 10 s request limit and 128-connection cap are not made for,
 * and ntfy's `/<topic>` paths would share the name server's path space.
 */
import { createPushService, type PushService, type PushServiceStatus as PushNumbers } from '@lanbox/push';
import type { LanboxConfig } from '../config/schema.js';
import type { ApplianceService, ServiceStatus, StoppedStatus } from './service.js';

export type PushServiceStatus = (ServiceStatus & PushNumbers) | StoppedStatus;

export interface PushApplianceService extends ApplianceService<PushServiceStatus> {
  /** The bound port, or null when not listening. */
  port(): number | null;
}

type Log = { debug(o: object, m?: string): void; info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };

export function createPushApplianceService(config: LanboxConfig, components: { logger: Log }): PushApplianceService {
  const service: PushService = createPushService(
    { port: config.pushPort, ...(config.bind !== null ? { host: config.bind } : {}) },
    { logger: components.logger },
  );
  let started = false;
  return {
    name: 'push',
    port: () => service.port(),
    async start() {
      await service.start();
      started = true;
      components.logger.info({ port: service.port() }, 'push service listening');
    },
    async stop() {
      if (!started) return;
      started = false;
      await service.stop();
    },
    status(): PushServiceStatus {
      if (!started) return { state: 'down', summary: 'not running' } as StoppedStatus;
      const s = service.status();
      const refused = Object.values(s.refused).reduce((a, b) => a + b, 0);
      return {
        ...s,
        state: s.listening ? ('ok' as const) : ('down' as const),
        summary: `${s.subscribers} phone stream(s) on ${s.topics} topic(s) with cached messages; ${s.published} published, ${s.delivered} delivered, ${refused} refused`,
      };
    },
  };
}
