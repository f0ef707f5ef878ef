/**
 * When the next query+announcement round is due: OpenDHT 4.x's doubling back-off after start or
 * an address change, then a steady jittered period.
 */
import type { Rng } from './types.js';

export class RoundSchedule {
  private nextRoundAt = Infinity;
  private nextDelay: number;

  constructor(
    private readonly firstRetryMs: number,
    private readonly refreshIntervalMs: number,
    private readonly rng: Rng,
  ) {
    this.nextDelay = firstRetryMs;
  }

  /** A round ran at `now` as a (re)start: the back-off begins again. */
  restart(now: number): void {
    this.nextDelay = this.firstRetryMs;
    this.nextRoundAt = now + this.nextDelay;
  }

  /** A scheduled round ran at `now`. */
  advance(now: number): void {
    this.nextDelay = Math.min(this.nextDelay * 2, this.refreshIntervalMs);
    let delay = this.nextDelay;
    if (delay >= this.refreshIntervalMs) {
      // ±10 % so that boxes and restarts do not fall into lock-step.
      const r = this.rng(2);
      const unit = (((r[0] ?? 0) << 8) | (r[1] ?? 0)) / 0x10000;
      delay = delay * (0.9 + 0.2 * unit);
    }
    this.nextRoundAt = now + delay;
  }

  due(now: number): boolean {
    return now >= this.nextRoundAt;
  }

  stop(): void {
    this.nextRoundAt = Infinity;
  }
}
