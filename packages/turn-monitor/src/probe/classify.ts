import type { FailureKind } from '../client/errors.js';

export type HealthState = 'ok' | 'degraded' | 'down';

export interface ProbeFailure {
  readonly step: StepName;
  readonly kind: FailureKind;
  /** ERROR-CODE from the server, when it answered with one. */
  readonly code?: number;
  readonly reason: string;
}

/** Probe steps, in the order they run. */
export const STEPS = [
  'tcp-connect',
  'tcp-challenge',
  'tcp-allocate',
  'tcp-permission',
  'tcp-peer-connect',
  'tcp-peer-data',
  'tcp-peer-accept',
  'tcp-refresh0',
  'binding',
  'allocate-challenge',
  'allocate',
  'permission',
  'relay',
  'refresh0',
] as const;
export type StepName = (typeof STEPS)[number];

/**
 * Steps without which no allocation exists. Jami's TURN check (a TCP connection plus an RFC 6062
 * allocation) passes or fails on exactly `tcp-connect`..`tcp-allocate`, and fails for good on
 * anything that stops an allocation, so these make a server down.
 */
const ALLOCATION_STEPS: ReadonlySet<StepName> = new Set(['tcp-connect', 'tcp-challenge', 'tcp-allocate', 'binding', 'allocate-challenge', 'allocate']);

/**
 * Codes that mean "working but full or busy right now": 437 (the 5-tuple still holds an allocation),
 * 486 (user quota), 508 (no relay port free). A retry later can succeed.
 */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([437, 486, 508]);

/**
 * down: the server cannot give an allocation (no answer, wrong credentials 401/441, unsupported
 * transport 442, forbidden 403, anything else on the allocation path); Jami would use no TURN.
 * degraded: allocations work but are refused for capacity (437/486/508), or something after the
 * allocation fails (permission, relayed round trip, RFC 6062 connections, refresh).
 */
export function classify(failure: ProbeFailure): HealthState {
  if (failure.code !== undefined && TRANSIENT_CODES.has(failure.code)) return 'degraded';
  return ALLOCATION_STEPS.has(failure.step) ? 'down' : 'degraded';
}

const ORDER: Record<HealthState, number> = { ok: 0, degraded: 1, down: 2 };

export function worst(a: HealthState, b: HealthState): HealthState {
  return ORDER[a] >= ORDER[b] ? a : b;
}
