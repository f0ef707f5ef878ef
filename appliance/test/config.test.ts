import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { helpText } from '../src/config/help.js';
import { FIELDS, defaultsFor } from '../src/config/schema.js';
import { parseHostPort, parseTurnUrl } from '../src/config/values.js';
import { exitOf, spawnAppliance, tempDir } from './helpers.js';

const dirs: Array<{ remove: () => Promise<void> }> = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

function configOf(argv: string[]) {
  const r = loadConfig(argv);
  assert.equal(r.kind, 'config', JSON.stringify(r));
  return (r as Extract<typeof r, { kind: 'config' }>).config;
}

function errorsOf(argv: string[]): string[] {
  const r = loadConfig(argv);
  assert.equal(r.kind, 'invalid', JSON.stringify(r));
  return (r as Extract<typeof r, { kind: 'invalid' }>).errors;
}

test('no flags: the local profile, the architecture contract defaults', () => {
  const c = configOf([]);
  assert.equal(c.profile, 'local');
  assert.equal(c.dhtPort, 4222);
  assert.equal(c.webPort, 8080);
  assert.equal(c.proxyPort, 8081);
  assert.equal(c.dataDir, './.lanbox-data');
  assert.deepEqual(c.bootstrap, [], 'the box never reaches outside unless told');
  assert.equal(c.bind, null);
  assert.equal(c.discovery && c.nameserver && c.proxy && c.rateLimit, true);
  assert.deepEqual(c.turn, [{ username: 'ring', password: 'ring', host: '127.0.0.1', port: 3478 }]);
});

test('profile box: port 80, proxy port 8080, /var/lib/lanbox; flags still win', () => {
  const c = configOf(['--profile', 'box']);
  assert.deepEqual([c.webPort, c.proxyPort, c.dataDir], [80, 8080, '/var/lib/lanbox']);
  const d = configOf(['--profile', 'box', '--web-port', '8088']);
  assert.equal(d.webPort, 8088);
});

test('every flag of the contract is accepted, including repeatable and --flag=value forms', () => {
  const c = configOf([
    '--data-dir',
    '/tmp/x',
    '--dht-port',
    '5000',
    '--web-port=9000',
    '--proxy-port',
    '9001',
    '--bind',
    '::1',
    '--bootstrap',
    '10.0.0.2:4223',
    '--bootstrap',
    '[fd00::1]',
    '--no-discovery',
    '--no-proxy',
    '--no-nameserver',
    '--no-rate-limit',
    '--turn',
    'turn://alice:p%40ss@10.0.0.1:3479',
    '--turn',
    'turn://bob:x@turn.lan',
    '--log-level',
    'debug',
    '--admin-token',
    '0123456789abcdef',
  ]);
  assert.equal(c.dataDir, '/tmp/x');
  assert.deepEqual([c.dhtPort, c.webPort, c.proxyPort, c.bind], [5000, 9000, 9001, '::1']);
  assert.deepEqual(c.bootstrap, [
    { host: '10.0.0.2', port: 4223 },
    { host: 'fd00::1', port: 4222 },
  ]);
  assert.deepEqual([c.discovery, c.proxy, c.nameserver, c.rateLimit], [false, false, false, false]);
  assert.deepEqual(c.turn, [
    { username: 'alice', password: 'p@ss', host: '10.0.0.1', port: 3479 },
    { username: 'bob', password: 'x', host: 'turn.lan', port: 3478 },
  ]);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.adminToken, '0123456789abcdef');
});

test('every error is reported at once, in one pass', () => {
  const errors = errorsOf([
    '--dht-port',
    'x',
    '--bogus',
    '--bootstrap',
    'a:b:c',
    '--turn',
    'turn://u:secret@h:99999',
    '--web-port=80',
    '--proxy-port',
    '80',
    '--log-level',
    'loud',
    '--bind',
    'nope',
    '--admin-token',
    'short',
    '--data-dir',
  ]);
  const expect = [
    '--bogus',
    '--dht-port',
    '--bootstrap[0]',
    '--turn[0]',
    '--log-level',
    '--bind',
    '--admin-token',
    '--data-dir: missing value',
    '--web-port and --proxy-port',
  ];
  for (const e of expect)
    assert.ok(
      errors.some((x) => x.startsWith(e)),
      `missing error for ${e} in ${JSON.stringify(errors)}`,
    );
  assert.equal(errors.length, expect.length, JSON.stringify(errors));
  assert.ok(!errors.join('\n').includes('secret'), 'TURN passwords are not echoed');
});

test('config file: values apply, flags override them, bad keys and types are all listed', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  const good = join(dir.path, 'good.json');
  await writeFile(good, JSON.stringify({ profile: 'box', dhtPort: 4333, bootstrap: ['192.168.1.5:4222'], discovery: false, turn: ['turn://a:b@h:1'] }));
  const c = configOf(['--config', good, '--dht-port', '4444']);
  assert.deepEqual([c.profile, c.webPort, c.dhtPort, c.discovery], ['box', 80, 4444, false]);
  assert.deepEqual(c.bootstrap, [{ host: '192.168.1.5', port: 4222 }]);

  const bad = join(dir.path, 'bad.json');
  await writeFile(bad, JSON.stringify({ dhtPort: '4222', webport: 80, bootstrap: 'x:1', discovery: 'no', turn: [1] }));
  const errors = errorsOf(['--config', bad]);
  for (const e of ['unknown key "webport"', '"dhtPort"', '"bootstrap": must be a list', '"discovery"', '"turn"[0]']) {
    assert.ok(
      errors.some((x) => x.includes(e)),
      `missing ${e} in ${JSON.stringify(errors)}`,
    );
  }
  assert.equal(errors.length, 5);

  assert.match(errorsOf(['--config', join(dir.path, 'missing.json')])[0] ?? '', /cannot read \(ENOENT\)/);
  const notJson = join(dir.path, 'x.json');
  await writeFile(notJson, '{ nope');
  assert.match(errorsOf(['--config', notJson])[0] ?? '', /not valid JSON/);
});

test('the shipped example config is valid, names every key, and equals the box defaults', () => {
  const example = join(import.meta.dirname, '..', 'lanbox.example.json');
  const c = configOf(['--config', example]);
  assert.deepEqual(c, defaultsFor('box'));
  const keys = Object.keys(JSON.parse(readFileSync(example, 'utf8')) as object).filter((k) => k !== '$comment');
  assert.deepEqual(keys.sort(), FIELDS.map((f) => f.key).sort());
});

test('--help lists every flag with its default', () => {
  const text = helpText();
  for (const f of FIELDS) {
    assert.ok(text.includes(`--${f.flag}`), f.flag);
    assert.ok(text.includes(`[${f.key}]`), f.key);
  }
  for (const flag of ['--config FILE', '--no-discovery', '--no-proxy', '--no-nameserver', '--no-rate-limit', '--help']) assert.ok(text.includes(flag), flag);
  assert.ok(text.includes('default: 4222'));
  assert.ok(text.includes('8080 (profile box: 80)'));
});

test('schema defaults and field table agree', () => {
  for (const profile of ['local', 'box'] as const) {
    const d = defaultsFor(profile) as unknown as Record<string, unknown>;
    for (const f of FIELDS) assert.ok(f.key in d, `${f.key} has a default`);
    assert.equal(Object.keys(d).length, FIELDS.length);
  }
});

test('HOST:PORT and turn:// parsers: accepted and refused forms', () => {
  assert.deepEqual(parseHostPort('[::1]:99', 4222), { ok: true, value: { host: '::1', port: 99 } });
  assert.deepEqual(parseHostPort('box.lan', 4222), { ok: true, value: { host: 'box.lan', port: 4222 } });
  for (const bad of ['', 'h:0', 'h:65536', '[::1', '[::1]x', 'a b:1', 'h:-1', 7, null]) assert.equal(parseHostPort(bad, 4222).ok, false, String(bad));
  assert.equal(parseTurnUrl('turn://ring:ring@[fd00::2]:3478').ok, true);
  for (const bad of ['turns://a:b@h', 'turn://a@h', 'turn://:b@h', 'turn://a:@h', 'turn://a:b@h/path', 'http://a:b@h'])
    assert.equal(parseTurnUrl(bad).ok, false, bad);
});

test('the CLI exits 2 and lists every error on stderr', async () => {
  const proc = spawnAppliance(['--dht-port', '70000', '--frobnicate', '--log-level', 'chatty']);
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const code = await exitOf(proc);
  assert.equal(code, 2, err);
  assert.match(err, /3 configuration errors/);
  assert.match(err, /--dht-port/);
  assert.match(err, /--frobnicate/);
  assert.match(err, /--log-level/);
});

test('the CLI prints --help and exits 0', async () => {
  const proc = spawnAppliance(['--help']);
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  assert.equal(await exitOf(proc), 0);
  assert.match(out, /--bootstrap HOST:PORT/);
});
