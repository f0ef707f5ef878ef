/** Bounded waiting: every wait in the harness has a deadline and says what it was waiting for. */

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

export interface WaitOptions {
  /** @default 30000 */
  timeoutMs?: number;
  /** Pause between probes. @default 250 */
  intervalMs?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe` until it returns something other than undefined (that value is returned) or the
 * deadline passes. A probe that throws counts as "not yet"; its last error is quoted on timeout.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      // A probe that never settles (a D-Bus call on a half-open connection) must not outlive the
      // deadline: it is raced against the time left.
      const value = await withTimeout(what, Promise.resolve().then(probe), Math.max(1, deadline - Date.now()));
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? String(lastError)})`;
  throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}

/** Rejects with a WaitTimeoutError if `promise` has not settled within `timeoutMs`. */
export async function withTimeout<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
