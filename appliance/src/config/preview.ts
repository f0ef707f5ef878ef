/**
 * Short, bounded rendering of an offending value for configuration error messages. The value
 * comes from the command line or the config file and can be huge or deeply nested: quoting it
 * whole floods stderr and the journal, and JSON.stringify of a deep value overflows the stack.
 */

/** Characters of a string quoted before it is cut. */
const MAX_STRING = 80;
/** Entries of a list or object shown, and how deep. */
const MAX_ENTRIES = 4;
const MAX_DEPTH = 2;

/** `text` itself, or its first 80 characters and its length. */
export function clip(text: string): string {
  return text.length <= MAX_STRING ? text : `${text.slice(0, MAX_STRING)}… (${text.length} characters)`;
}

/** JSON-like text of `raw`: strings cut at 80 characters, at most 4 entries and 2 levels of lists and objects. */
export function preview(raw: unknown, depth = 0): string {
  if (typeof raw === 'string') {
    return raw.length <= MAX_STRING ? JSON.stringify(raw) : `${JSON.stringify(raw.slice(0, MAX_STRING))}… (${raw.length} characters)`;
  }
  if (raw === null || typeof raw !== 'object') return String(raw);
  const list = Array.isArray(raw) ? (raw as unknown[]) : undefined;
  const keys = list ? undefined : Object.keys(raw);
  const count = list ? list.length : (keys?.length ?? 0);
  const [open, close] = list ? ['[', ']'] : ['{', '}'];
  if (count === 0) return open + close;
  if (depth >= MAX_DEPTH) return `${open}…${close}`;
  const shown: string[] = [];
  for (let i = 0; i < Math.min(count, MAX_ENTRIES); i++) {
    if (list) shown.push(preview(list[i], depth + 1));
    else {
      const k = keys?.[i] ?? '';
      shown.push(`${preview(k)}:${preview((raw as Record<string, unknown>)[k], depth + 1)}`);
    }
  }
  if (count > MAX_ENTRIES) shown.push(`… ${count - MAX_ENTRIES} more`);
  return open + shown.join(',') + close;
}
