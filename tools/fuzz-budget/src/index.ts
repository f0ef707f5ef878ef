/**
 * How many iterations a seeded fuzz test runs. `npm test` (and CI) runs every fuzz test with its
 * full count; `npm run test:unit`, the edit-test loop, sets `LANBOX_FUZZ=quick` and runs a tenth
 * of it (at least 100). Seeds are fixed, so the quick budget is the first part of the very same
 * sequence of inputs, with the same assertions: a failure found by the quick run is found by the
 * full one, and the full run only adds inputs. Only tests use this.
 */

/** The iterations to run for a fuzz test whose full budget is `full`. */
export function fuzzRuns(full: number, env: NodeJS.ProcessEnv = process.env): number {
  if (env.LANBOX_FUZZ !== 'quick') return full;
  return Math.min(full, Math.max(100, Math.ceil(full / 10)));
}
