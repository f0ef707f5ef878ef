/**
 * @lanbox/turn-monitor: proves, every minute, that a TURN server works along the exact path Jami
 * uses (a TCP connection and an RFC 6062 TCP allocation), plus UDP allocation and relaying.
 */
export {
  createTurnMonitor,
  DEFAULT_SERVERS,
  TurnMonitorConfigError,
  type Logger,
  type ServerState,
  type ServerStatus,
  type TurnMonitor,
  type TurnMonitorComponents,
  type TurnMonitorCounters,
  type TurnMonitorOptions,
  type TurnMonitorStatus,
} from './monitor/monitor.js';
export type { HistoryEntry, HistorySummary, Timeline, TimelineBucket } from './monitor/history.js';
export { TIMELINE_BUCKETS } from './monitor/history.js';
export { DEFAULT_TURN_PORT, type TurnServerEntry } from './monitor/server-url.js';
export { STEPS, type HealthState, type StepName } from './probe/classify.js';
export { createFileStore } from './store/file-store.js';
export type { PersistedServer, PersistedSummary, SummaryStore } from './store/summary-store.js';
/** The time and timers its components take (`clock`, `scheduler`), from @lanbox/clock. */
export type { Clock, Scheduler } from '@lanbox/clock';
