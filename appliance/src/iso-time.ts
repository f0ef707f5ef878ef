/**
 * `new Date(ms).toISOString()` from the UTC getters. The first Date#toISOString call of a process
 * makes V8 set up its date cache, which loads ICU's time-zone data and code (~0.9 MB of RSS) even
 * though the result is UTC; the getters never need it. Used for every timestamp the appliance
 * prints (log lines, /api/status), so a box that never shows a local time never pays for it.
 */
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

export function isoUtc(ms: number): string {
  const d = new Date(ms);
  const milli = d.getUTCMilliseconds();
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
