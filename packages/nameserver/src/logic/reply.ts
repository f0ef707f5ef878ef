import type { RejectReason } from '../stats.js';

/** A JSON answer; the HTTP layer serializes `body` as is (field order matters to byte-exact replays). */
export interface Reply {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  /** Set on refusals, for the counters. */
  readonly reason?: RejectReason;
  readonly retryAfterSeconds?: number;
}

/**
 * Answer to a lookup-style request (GET): `{"error": ...}` like the reference server. Without a
 * reason it is an ordinary negative answer (unknown name), not a refusal.
 */
export function lookupError(status: number, error: string, reason?: RejectReason): Reply {
  return reason === undefined ? { status, body: { error } } : { status, body: { error }, reason };
}

/** Answer to a write-style request (POST, DELETE): `{"success": false, "error": ...}`. */
export function writeError(status: number, error: string, reason: RejectReason): Reply {
  return { status, body: { success: false, error }, reason };
}

export const SUCCESS: Reply = { status: 200, body: { success: true } };
