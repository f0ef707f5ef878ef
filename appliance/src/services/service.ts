/**
 * The lifecycle every wired package goes through inside the appliance: built by a factory,
 * started in order, asked for its status while running, stopped in reverse order.
 * Constructors only assign; sockets are opened in `start()` and closed in `stop()`.
 */
export type ServiceState = 'ok' | 'degraded' | 'down' | 'disabled';

export type ServiceName = 'dht' | 'discovery' | 'nameserver' | 'push' | 'proxy' | 'turn' | 'replication' | 'dns';

/**
 * What every service reports in /api/status. Each service declares its own status type that
 * extends this one with its numbers, so the appliance reads them typed (no casts).
 */
export interface ServiceStatus {
  state: ServiceState;
  /** One human sentence explaining the state (shown on the status page). */
  summary: string;
}

/** A service that exists but is not running (before `start()`, after `stop()`). */
export interface StoppedStatus extends ServiceStatus {
  state: 'down';
}

/** A service switched off by configuration, or not built yet. */
export interface DisabledStatus extends ServiceStatus {
  state: 'disabled';
}

export const STOPPED: StoppedStatus = { state: 'down', summary: 'not running' };

export interface ApplianceService<S extends ServiceStatus = ServiceStatus> {
  readonly name: ServiceName;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): S;
}

/** A service switched off by configuration, or not built yet: reported, never started. */
export function disabledService<E extends object = Record<never, never>>(name: ServiceName, reason: string, extra?: E): ApplianceService<DisabledStatus & E> {
  return {
    name,
    async start() {},
    async stop() {},
    status: () => ({ ...(extra as E), state: 'disabled', summary: reason }),
  };
}
