/**
 * Turns the command line and an optional JSON config file into a validated `LanboxConfig`.
 * Precedence: embedded profile defaults < config file < command line. Every problem is collected
 * so that the operator sees all of them at once (main.ts prints them and exits 2).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { clip, preview } from './preview.js';
import { defaultsFor, FIELDS, PROFILES, type FieldSpec, type LanboxConfig, type Profile } from './schema.js';

export type LoadResult =
  | { kind: 'config'; config: LanboxConfig; configFile: string | null }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'selftest' }
  | { kind: 'repair'; config: LanboxConfig; configFile: string | null }
  | { kind: 'invalid'; errors: string[] };

/** Largest config file we read; a real one is well under 4 KiB. */
const MAX_CONFIG_BYTES = 256 * 1024;

type Raw = Partial<Record<keyof LanboxConfig, unknown>>;

interface ParsedArgs {
  values: Raw;
  configFile: string | null;
  help: boolean;
  version: boolean;
  selftest: boolean;
  repair: boolean;
}

const BY_FLAG = new Map(FIELDS.map((f) => [f.flag, f]));

function parseArgs(argv: readonly string[], errors: string[]): ParsedArgs {
  const out: ParsedArgs = { values: {}, configFile: null, help: false, version: false, selftest: false, repair: false };
  const lists = new Map<keyof LanboxConfig, unknown[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (arg === '--version') {
      out.version = true;
      continue;
    }
    if (arg === '--selftest') {
      out.selftest = true;
      continue;
    }
    if (arg === '--repair') {
      out.repair = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      errors.push(`argument ${preview(arg)}: unexpected (flags start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        errors.push(`--${name}: missing value`);
        return undefined;
      }
      i++;
      return next;
    };
    if (name === 'config') {
      const v = takeValue();
      if (v !== undefined) out.configFile = v;
      continue;
    }
    const negated = name.startsWith('no-') ? BY_FLAG.get(name.slice(3)) : undefined;
    if (negated && negated.kind === 'boolean') {
      if (inline !== undefined) errors.push(`--${name}: takes no value`);
      out.values[negated.key] = false;
      continue;
    }
    const field = BY_FLAG.get(name);
    if (!field) {
      errors.push(`--${clip(name)}: unknown flag (see --help)`);
      continue;
    }
    if (field.kind === 'boolean') {
      if (inline !== undefined) errors.push(`--${name}: takes no value`);
      out.values[field.key] = true;
      continue;
    }
    const v = takeValue();
    if (v === undefined) continue;
    if (field.kind === 'list') {
      const list = lists.get(field.key) ?? [];
      list.push(v);
      lists.set(field.key, list);
    } else if (field.kind === 'integer' && /^\d{1,6}$/.test(v)) {
      out.values[field.key] = Number(v);
    } else {
      // Anything else stays text; the field's parser reports it (a config file must use numbers).
      out.values[field.key] = v;
    }
  }
  for (const [key, list] of lists) out.values[key] = list;
  return out;
}

/**
 * The first `limit` bytes of a regular file, or null if `path` is something else. A FIFO would
 * block the open until a writer comes (hence O_NONBLOCK) and a device like /dev/zero never ends,
 * so neither is read.
 */
function readRegularFile(path: string, limit: number): Buffer | null {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const got = readSync(fd, buf, length, limit - length, null);
      if (got === 0) break;
      length += got;
    }
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function readConfigFile(path: string, errors: string[]): Raw {
  let text: string;
  try {
    const buf = readRegularFile(path, MAX_CONFIG_BYTES + 1);
    if (buf === null) {
      errors.push(`config file ${path}: not a regular file`);
      return {};
    }
    if (buf.length > MAX_CONFIG_BYTES) {
      errors.push(`config file ${path}: larger than ${MAX_CONFIG_BYTES} bytes`);
      return {};
    }
    text = buf.toString('utf8');
  } catch (err) {
    errors.push(`config file ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    errors.push(`config file ${path}: not valid JSON (${(err as Error).message})`);
    return {};
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    errors.push(`config file ${path}: must be a JSON object`);
    return {};
  }
  const raw: Raw = {};
  const known = new Set<string>(FIELDS.map((f) => f.key));
  for (const [k, v] of Object.entries(json)) {
    if (k === '$comment') continue;
    if (!known.has(k)) {
      errors.push(`config file ${path}: unknown key ${preview(k)}`);
      continue;
    }
    raw[k as keyof LanboxConfig] = v;
  }
  return raw;
}

function applyField(field: FieldSpec, raw: unknown, where: string, config: LanboxConfig, errors: string[]): void {
  if (field.kind === 'list') {
    if (!Array.isArray(raw)) {
      errors.push(`${where}: must be a list`);
      return;
    }
    if (raw.length > 32) {
      errors.push(`${where}: at most 32 entries`);
      return;
    }
    const values: unknown[] = [];
    raw.forEach((item, i) => {
      const r = field.parse(item);
      if (r.ok) values.push(r.value);
      else errors.push(`${where}[${i}]: ${r.error}`);
    });
    (config as unknown as Record<string, unknown>)[field.key] = values;
    return;
  }
  const r = field.parse(raw);
  if (r.ok) (config as unknown as Record<string, unknown>)[field.key] = r.value;
  else errors.push(`${where}: ${r.error}`);
}

/** Checks that involve more than one field. */
function crossCheck(config: LanboxConfig, errors: string[]): void {
  if (config.proxy && config.webPort !== 0 && config.webPort === config.proxyPort) {
    errors.push(`--web-port and --proxy-port: both are ${config.webPort}; they must differ (or use --no-proxy)`);
  }
  if (config.push && config.pushPort !== 0) {
    if (config.pushPort === config.webPort) errors.push(`--push-port and --web-port: both are ${config.pushPort}; they must differ (or use --no-push)`);
    if (config.proxy && config.pushPort === config.proxyPort)
      errors.push(`--push-port and --proxy-port: both are ${config.pushPort}; they must differ (or use --no-push)`);
  }
}

/** Reads argv (without `node` and the script) and the config file it names. */
export function loadConfig(argv: readonly string[]): LoadResult {
  const errors: string[] = [];
  const args = parseArgs(argv, errors);
  if (args.help) return { kind: 'help' };
  if (args.version) return { kind: 'version' };
  if (args.selftest) return { kind: 'selftest' };
  const file = args.configFile === null ? {} : readConfigFile(args.configFile, errors);

  const profileRaw = args.values.profile ?? file.profile ?? 'local';
  const profile: Profile = (PROFILES as readonly unknown[]).includes(profileRaw) ? (profileRaw as Profile) : 'local';
  const config = defaultsFor(profile);
  for (const field of FIELDS) {
    if (field.key in file) applyField(field, file[field.key], `config file ${args.configFile}: "${field.key}"`, config, errors);
    if (field.key in args.values) applyField(field, args.values[field.key], `--${field.flag}`, config, errors);
  }
  crossCheck(config, errors);
  if (errors.length > 0) return { kind: 'invalid', errors };
  return { kind: args.repair ? 'repair' : 'config', config, configFile: args.configFile };
}
