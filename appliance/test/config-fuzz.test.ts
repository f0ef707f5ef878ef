/**
 * Fuzzing of the configuration parser: random command lines and random config files. Whatever
 * the input, `loadConfig` must return (never throw) quickly, with either a configuration whose
 * every field has its schema type and range or an 'invalid' result listing readable errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { loadConfig, type LoadResult } from '../src/config/load.js';
import { FIELDS, LOG_LEVELS, PROFILES, type LanboxConfig } from '../src/config/schema.js';
import { tempDir } from './helpers.js';

const RUNS = 2000;
const SEED = 0x1a4b0c;
/**
 * A hang (the parser once read a FIFO given as --config forever) fails the test through its
 * timeout; no per-call clock is asserted, since a loaded machine stretches any wall-clock bound.
 */
const HANG_TIMEOUT_MS = 120_000;
/** An error line names the flag or key and quotes a bounded preview of the value. */
const MAX_ERROR_CHARS = 1024;

let dir: { path: string; remove: () => Promise<void> };
let configPath = '';
before(async () => {
  dir = await tempDir('lanbox-config-fuzz-');
  configPath = join(dir.path, 'lanbox.json');
});
after(() => dir.remove());

function isPort(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
}

function isHostPort(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const { host, port } = v as Record<string, unknown>;
  return typeof host === 'string' && host.length > 0 && isPort(port) && port !== 0;
}

/** Checks a resolved configuration against the schema's documented types, independently of the parser. */
function assertValidConfig(c: LanboxConfig): void {
  assert.deepEqual(Object.keys(c).sort(), FIELDS.map((f) => f.key).sort());
  assert.ok((PROFILES as readonly string[]).includes(c.profile));
  assert.ok(typeof c.dataDir === 'string' && c.dataDir.length > 0);
  assert.ok(isPort(c.dhtPort) && isPort(c.webPort) && isPort(c.proxyPort));
  assert.ok(c.bind === null || (typeof c.bind === 'string' && c.bind.length > 0));
  assert.ok(Array.isArray(c.bootstrap) && c.bootstrap.length <= 32 && c.bootstrap.every(isHostPort));
  for (const flag of [c.discovery, c.proxy, c.nameserver, c.rateLimit]) assert.equal(typeof flag, 'boolean');
  assert.ok(Array.isArray(c.turn) && c.turn.length <= 32);
  for (const t of c.turn) {
    assert.ok(isHostPort(t));
    assert.ok(typeof t.username === 'string' && t.username.length > 0);
    assert.ok(typeof t.password === 'string' && t.password.length > 0);
  }
  assert.ok((LOG_LEVELS as readonly string[]).includes(c.logLevel));
  assert.ok(c.adminToken === null || (typeof c.adminToken === 'string' && c.adminToken.length >= 16));
  if (c.proxy && c.webPort !== 0) assert.notEqual(c.webPort, c.proxyPort);
}

/** Runs the parser once and checks the outcome; the fuzzer reports any throw with its input. */
function check(argv: string[]): LoadResult {
  const result = loadConfig(argv);
  switch (result.kind) {
    case 'config':
      assertValidConfig(result.config);
      break;
    case 'invalid':
      assert.ok(Array.isArray(result.errors) && result.errors.length > 0);
      for (const e of result.errors) {
        assert.equal(typeof e, 'string');
        assert.ok(e.length > 0 && e.length <= MAX_ERROR_CHARS, `error of ${e.length} characters: ${e.slice(0, 200)}…`);
      }
      break;
    case 'help':
    case 'version':
    case 'selftest':
      break;
    default:
      assert.fail(`unexpected result ${JSON.stringify(result)}`);
  }
  return result;
}

const FLAGS = FIELDS.map((f) => f.flag);
const KEYS = FIELDS.map((f) => f.key);

/** Values that are valid for some field and invalid for others, plus near misses. */
const plausible = fc.constantFrom(
  '0',
  '1',
  '4222',
  '65535',
  '65536',
  '-1',
  '1e3',
  '0x10',
  '007',
  '9999999',
  '',
  ' ',
  'box',
  'local',
  'debug',
  'silent',
  'LOCAL',
  '::1',
  '10.0.0.1',
  '256.1.1.1',
  'fe80::1%eth0',
  'host.lan',
  'host:0',
  'host:1:2',
  '[fd00::1]:4222',
  '[::1',
  '[::1]x',
  'turn://a:b@h',
  'turn://a:b@h:3479',
  'turn://a:%zz@h',
  'turn://:@h',
  'turn://a:b@[::1]:1',
  '0123456789abcdef',
  'short',
  'null',
  'true',
  '__proto__',
  'constructor',
  '/tmp',
  'a\u0000b',
);
/** Huge values: far over every length bound the parser has. */
const huge = fc.tuple(fc.constantFrom('x', '9', ':', '[', '%', 'é', '\u{1F600}'), fc.integer({ min: 300, max: 400_000 })).map(([unit, n]) => unit.repeat(n));
const value = fc.oneof(
  { arbitrary: plausible, weight: 4 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: huge, weight: 1 },
);
const flag = fc.constantFrom(...FLAGS);
const argToken = fc.oneof(
  { arbitrary: flag.map((f) => `--${f}`), weight: 6 },
  { arbitrary: flag.map((f) => `--no-${f}`), weight: 2 },
  { arbitrary: fc.tuple(flag, value).map(([f, v]) => `--${f}=${v}`), weight: 3 },
  { arbitrary: value, weight: 6 },
  // Unknown flags; the prefix keeps them from ever being --config (which would read a file).
  { arbitrary: fc.oneof(fc.string({ maxLength: 20 }), huge).map((s) => `--x-${s}`), weight: 2 },
  { arbitrary: fc.constantFrom('--', '-', '--=', '--=x', '--no-', '--no-config', '---', '-x', '--config=', '--help=1'), weight: 1 },
  { arbitrary: fc.constantFrom('--help', '-h', '--version', '--selftest'), weight: 1 },
);
const argv = fc.array(argToken, { maxLength: 16 });

test('random command lines: never a throw or a hang, a valid config or listed errors', { timeout: HANG_TIMEOUT_MS }, (t) => {
  const kinds = new Map<string, number>();
  fc.assert(
    fc.property(argv, (args) => {
      const kind = check(args).kind;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(kinds))}`);
  // The generator must reach both outcomes, or the property above proves little.
  assert.ok((kinds.get('config') ?? 0) > RUNS / 50, JSON.stringify([...kinds]));
  assert.ok((kinds.get('invalid') ?? 0) > RUNS / 4, JSON.stringify([...kinds]));
});

/** A JSON value for one key: the right type or not, deep, huge. */
const jsonField = fc.oneof(
  { arbitrary: plausible, weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 3 },
  { arbitrary: fc.integer({ min: -70_000, max: 70_000 }), weight: 2 },
  { arbitrary: fc.constantFrom(true, false, null, 0.5, 1e308, -0, [], {}), weight: 2 },
  { arbitrary: fc.array(fc.oneof(plausible, fc.jsonValue({ maxDepth: 2 })), { maxLength: 40 }), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 60_000 }).map((n) => Array.from({ length: n }, () => 'h:1')), weight: 1 },
  { arbitrary: huge, weight: 1 },
);
const jsonKey = fc.oneof(
  { arbitrary: fc.constantFrom(...KEYS), weight: 8 },
  { arbitrary: fc.constantFrom('$comment', '__proto__', 'constructor', 'toString', 'hasOwnProperty'), weight: 1 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);
const example = readFileSync(new URL('../lanbox.example.json', import.meta.url), 'utf8');
/** The shipped example with a few characters replaced, inserted or removed. */
const mutatedExample = fc
  .array(fc.tuple(fc.nat({ max: example.length }), fc.nat({ max: 2 }), fc.string({ unit: 'binary', maxLength: 3 })), { minLength: 1, maxLength: 5 })
  .map((edits) => edits.reduce((text, [at, del, ins]) => text.slice(0, at) + ins + text.slice(at + del), example));
/** Nesting far deeper than any recursive walk of the value survives, under a known key. */
const deepText = fc
  .tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1_000, max: 120_000 }), fc.constantFrom('[', '{"a":'))
  .map(([key, depth, open]) => `{"${key}":${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}}`);
const fileText = fc.oneof(
  { arbitrary: fc.dictionary(jsonKey, jsonField, { maxKeys: 16 }).map((o) => JSON.stringify(o)), weight: 8 },
  { arbitrary: mutatedExample, weight: 3 },
  { arbitrary: deepText, weight: 1 },
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? ''), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
);

test('random config files (with random flags): never a throw or a hang, a valid config or listed errors', { timeout: HANG_TIMEOUT_MS }, (t) => {
  const kinds = new Map<string, number>();
  fc.assert(
    fc.property(
      fileText,
      fc.array(
        argToken.filter((a) => !/^(--help|-h|--version|--selftest)$/.test(a)),
        { maxLength: 4 },
      ),
      (text, args) => {
        writeFileSync(configPath, text);
        const kind = check(['--config', configPath, ...args]).kind;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(kinds))}`);
  assert.ok((kinds.get('config') ?? 0) > RUNS / 100, JSON.stringify([...kinds]));
  assert.ok((kinds.get('invalid') ?? 0) > RUNS / 4, JSON.stringify([...kinds]));
});

test('--config naming a FIFO, a device or a directory: an error at once, nothing read', { timeout: HANG_TIMEOUT_MS }, () => {
  const fifo = join(dir.path, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // Before the fix the FIFO blocked forever in open() and /dev/zero was read up to 2 GiB.
  for (const path of [fifo, '/dev/zero', dir.path]) {
    const result = check(['--config', path]);
    assert.deepEqual(result, { kind: 'invalid', errors: [`config file ${path}: not a regular file`] });
  }
});

test('a deeply nested value or a huge one is reported with a short preview', () => {
  writeFileSync(configPath, `{"dhtPort":${'['.repeat(50_000)}${']'.repeat(50_000)},"logLevel":"${'x'.repeat(100_000)}"}`);
  // Before the fix, quoting the nested value threw RangeError (call stack) out of loadConfig.
  assert.deepEqual(check(['--config', configPath]), {
    kind: 'invalid',
    errors: [
      `config file ${configPath}: "dhtPort": must be a port number 0..65535 (got [[[…]]])`,
      `config file ${configPath}: "logLevel": must be one of trace, debug, info, warn, error, fatal, silent (got "${'x'.repeat(80)}"… (100000 characters))`,
    ],
  });
});
