/** What `/api/status` shows of replication: state, the replicated set, boxes, conflicts, budgets, counters. */
import type { PeerStatus, ReplicationContext, ReplicationCounters } from './context.js';
import type { Conflict } from './state.js';

export interface ReplicationStatus {
  readonly state: 'ok' | 'degraded' | 'down';
  readonly box: string;
  /** Entries in the replicated set (records and removals) and its root digest. */
  readonly entries: number;
  readonly root: string;
  readonly siteKey: boolean;
  readonly peers: readonly PeerStatus[];
  /** Losing records this box had acknowledged, newest first (at most 50 listed). */
  readonly conflicts: readonly Conflict[];
  readonly conflictsLost: number;
  readonly sources: ReadonlyArray<{ address: string; requests: number; throttled: number; badRecords: number; blocked: boolean }>;
  readonly counters: Readonly<ReplicationCounters>;
}

export function statusOf(ctx: ReplicationContext): ReplicationStatus {
  const { peers, index } = ctx;
  const now = ctx.clock.now();
  const anyDown = peers.some((p) => p.state === 'down');
  return {
    state: !ctx.running ? 'down' : anyDown || ctx.conflictsLost > 0 ? 'degraded' : 'ok',
    box: ctx.self,
    entries: index.size,
    root: index.root(),
    siteKey: ctx.opts.siteKey !== undefined,
    peers: peers.map((p) => ({
      id: p.id,
      host: p.host,
      port: p.port,
      source: p.source,
      state: p.state,
      lastContact: p.lastContact,
      lastSync: p.lastSync,
      lastError: p.lastError,
      received: p.received,
    })),
    conflicts: ctx.conflicts.slice(0, 50),
    conflictsLost: ctx.conflictsLost,
    sources: ctx.limits.snapshot(now),
    counters: { ...ctx.counters },
  };
}
