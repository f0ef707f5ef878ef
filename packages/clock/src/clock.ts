/** Time and deferred work, injected so that protocol logic and its tests never sleep. */

/** Milliseconds since the Unix epoch (or any monotonic origin that `scheduler` shares). */
export interface Clock {
  now(): number;
}

export interface ScheduledTask {
  cancel(): void;
}

/**
 * Runs a callback later. Users keep few of these alive: the DHT node a handful (never one per
 * request), the TURN monitor its schedule and a few per transaction in flight.
 */
export interface Scheduler {
  schedule(delayMs: number, fn: () => void): ScheduledTask;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Real timers, unref'd so a service never keeps the process alive by itself (its sockets do). */
export const systemScheduler: Scheduler = {
  schedule(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock and scheduler for tests: time only moves when `advance()` is called, and every task
 * due by then runs in deadline order (ties in scheduling order).
 */
export interface ManualClock extends Clock, Scheduler {
  /** Move time forward by `ms`, running due tasks (including ones they schedule) on the way. */
  advance(ms: number): void;
  /** Like `advance`, but lets pending promise callbacks run between tasks. */
  advanceAsync(ms: number, stepMs?: number): Promise<void>;
  /** Number of tasks still scheduled. */
  pending(): number;
}

interface Task {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export function createManualClock(startMs = 1_700_000_000_000): ManualClock {
  let now = startMs;
  let seq = 0;
  // A sorted array is enough here: test networks keep at most a few thousand tasks alive.
  const tasks: Task[] = [];

  function insert(task: Task): void {
    let lo = 0;
    let hi = tasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = tasks[mid]!;
      if (t.at < task.at || (t.at === task.at && t.seq < task.seq)) lo = mid + 1;
      else hi = mid;
    }
    tasks.splice(lo, 0, task);
  }

  function runUntil(target: number): void {
    for (;;) {
      const next = tasks[0];
      if (next === undefined || next.at > target) break;
      tasks.shift();
      if (next.cancelled) continue;
      if (next.at > now) now = next.at;
      next.fn();
    }
    if (target > now) now = target;
  }

  return {
    now: () => now,
    schedule(delayMs, fn) {
      const task: Task = { at: now + Math.max(0, delayMs), seq: seq++, fn, cancelled: false };
      insert(task);
      return {
        cancel: () => {
          task.cancelled = true;
        },
      };
    },
    advance(ms) {
      runUntil(now + ms);
    },
    async advanceAsync(ms, stepMs = 10) {
      const target = now + ms;
      while (now < target) {
        runUntil(Math.min(target, now + stepMs));
        // Let promise continuations (search callers, async handlers) observe each step.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    pending: () => tasks.filter((t) => !t.cancelled).length,
  };
}
