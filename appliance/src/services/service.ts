/**
 * The lifecycle every wired package goes through inside the appliance: built by a factory,
 * started in order, asked for its status while running, stopped in reverse order.
 * Constructors only assign; sockets are opened in `start()` and closed in `stop()`.
 */
export type ServiceState = 'ok' | 'degraded' | 'down' | 'disabled';

export type ServiceName = 'dht' | 'discovery' | 'nameserver' | 'proxy' | 'turn' | 'dns';

/** What every service reports in /api/status; each adds its own numbers beside these fields. */
export interface ServiceStatus {
  state: ServiceState;
  /** One human sentence explaining the state (shown on the status page). */
  summary: string;
  [field: string]: unknown;
}

export interface ApplianceService {
  readonly name: ServiceName;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ServiceStatus;
}

/** A service switched off by configuration, or not built yet: reported, never started. */
export function disabledService(name: ServiceName, reason: string, extra: Record<string, unknown> = {}): ApplianceService {
  return {
    name,
    async start() {},
    async stop() {},
    status: () => ({ state: 'disabled', summary: reason, ...extra }),
  };
}
