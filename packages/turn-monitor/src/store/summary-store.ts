/** What survives a restart, per server (keyed by the URL without password). */
export interface PersistedServer {
  readonly state: 'ok' | 'degraded' | 'down';
  readonly lastCheckedAt: number;
  readonly lastError: string | null;
  readonly lastOkAt: number | null;
  readonly lastFailureAt: number | null;
  /** Counts over the history window at the time of saving. */
  readonly checks: number;
  readonly ok: number;
  readonly degraded: number;
  readonly down: number;
}

export interface PersistedSummary {
  readonly version: 1;
  readonly savedAt: number;
  readonly servers: Readonly<Record<string, PersistedServer>>;
}

/** Where the monitor keeps its summary. Small on purpose: one JSON-sized object. */
export interface SummaryStore {
  /** The last saved summary, or undefined when there is none (or it is unreadable). */
  load(): Promise<PersistedSummary | undefined>;
  save(summary: PersistedSummary): Promise<void>;
}

const MAX_SERVERS = 64;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isTimeOrNull(v: unknown): v is number | null {
  return v === null || isCount(v);
}

function asServer(v: unknown): PersistedServer | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const stateOk = o.state === 'ok' || o.state === 'degraded' || o.state === 'down';
  const errorOk = o.lastError === null || (typeof o.lastError === 'string' && o.lastError.length <= 1000);
  if (!stateOk || !errorOk || !isCount(o.lastCheckedAt) || !isTimeOrNull(o.lastOkAt) || !isTimeOrNull(o.lastFailureAt)) {
    return undefined;
  }
  if (!isCount(o.checks) || !isCount(o.ok) || !isCount(o.degraded) || !isCount(o.down)) return undefined;
  return o as unknown as PersistedServer;
}

/**
 * Checks a loaded value's shape; a file edited by hand or cut short by a crash gives undefined
 * (start from nothing) rather than odd values on the status page.
 */
export function validateSummary(value: unknown): PersistedSummary | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (o.version !== 1 || !isCount(o.savedAt) || typeof o.servers !== 'object' || o.servers === null) return undefined;
  const entries = Object.entries(o.servers as Record<string, unknown>);
  if (entries.length > MAX_SERVERS) return undefined;
  const servers: Record<string, PersistedServer> = {};
  for (const [url, s] of entries) {
    const server = asServer(s);
    if (!server) return undefined;
    servers[url] = server;
  }
  return { version: 1, savedAt: o.savedAt, servers };
}
