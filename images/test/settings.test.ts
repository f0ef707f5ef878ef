/**
 * The settings file parser: the documented example parses to the defaults, each key's good and
 * bad values, cross-field checks, and a fuzz run proving it never throws and stays bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { MAX_ERRORS, MAX_SETTINGS_BYTES, defaultSettings, dhcpPlan, parseSettings } from '../src/settings.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDkH3aG7x8l3Vdcq1Nh2c1sTQ4d3g0zq0P2r+Q3kq0m9 me@laptop';

test('no file, an empty file and the shipped example (all commented) give the defaults', () => {
  for (const text of ['', '\n\n', readFileSync(new URL('../lanbox.txt.example', import.meta.url), 'utf8')]) {
    const r = parseSettings(text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.applied, []);
    assert.deepEqual(r.settings, defaultSettings());
  }
  const d = defaultSettings();
  assert.equal(d.hostname, 'lanbox');
  assert.equal(d.dhcpServer, false, 'never serves DHCP by default');
  assert.deepEqual(d.sshKeys, [], 'SSH off by default');
});

test('every key is read; CRLF line ends, a BOM, spaces and comments are fine', () => {
  const text = [
    '\uFEFF# my box',
    'hostname = Jami-Box ',
    'address=192.168.7.2/24',
    'gateway=192.168.7.1',
    'dns=192.168.7.1',
    `ssh_key=${KEY}`,
    'turn_user=alice',
    'turn_password=s3cret-1',
    'dhcp_server=on',
    'dhcp_range=192.168.7.50,192.168.7.60',
    'jami_dns=yes',
  ].join('\r\n');
  const r = parseSettings(text);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.settings, {
    hostname: 'jami-box',
    address: { address: '192.168.7.2', prefix: 24 },
    gateway: '192.168.7.1',
    dns: ['192.168.7.1'],
    sshKeys: [KEY],
    turnUser: 'alice',
    turnPassword: 's3cret-1',
    dhcpServer: true,
    dhcpRange: { first: '192.168.7.50', last: '192.168.7.60' },
    jamiDns: true,
  });
  assert.equal(r.applied.length, 10);
});

test('bad lines are reported with their line number and ignored; good lines still apply', () => {
  const r = parseSettings(
    [
      'hostname=bad_name!',
      'address=300.1.1.1/24',
      'ssh_key=ssh-ed25519',
      'dhcp_server=maybe',
      'colour=blue',
      'just words',
      'turn_user=has space',
      'hostname=second',
      'jami_dns=on',
    ].join('\n'),
  );
  assert.equal(r.settings.hostname, 'lanbox');
  assert.equal(r.settings.address, null);
  assert.deepEqual(r.settings.sshKeys, []);
  assert.equal(r.settings.dhcpServer, false);
  assert.equal(r.settings.jamiDns, true);
  assert.equal(r.errors.length, 8, r.errors.join('\n'));
  assert.match(r.errors[0]!, /^line 1: hostname: /);
  assert.match(r.errors[4]!, /^line 5: unknown setting "colour"/);
  assert.match(r.errors[5]!, /^line 6: expected key=value/);
  assert.match(r.errors[7]!, /^line 8: hostname is set twice/);
});

test('cross-field checks: gateway without address, a DHCP range outside the network', () => {
  const a = parseSettings('gateway=10.0.0.1');
  assert.equal(a.settings.gateway, null);
  assert.match(a.errors[0]!, /gateway is set without address/);
  const b = parseSettings('dhcp_server=on\ndhcp_range=192.168.1.10,192.168.1.20');
  assert.equal(b.settings.dhcpRange, null);
  assert.match(b.errors[0]!, /dhcp_range is not inside/);
});

test('the DHCP plan: the default address and range, a given range, the box never in its own range', () => {
  const on = parseSettings('dhcp_server=on').settings;
  assert.deepEqual(dhcpPlan(on), { address: { address: '10.48.0.1', prefix: 24 }, first: '10.48.0.102', last: '10.48.0.250', netmask: '255.255.255.0' });
  const given = parseSettings('address=192.168.7.2/24\ndhcp_server=on\ndhcp_range=192.168.7.50,192.168.7.60').settings;
  assert.deepEqual(dhcpPlan(given), { address: { address: '192.168.7.2', prefix: 24 }, first: '192.168.7.50', last: '192.168.7.60', netmask: '255.255.255.0' });
  const inside = parseSettings('address=10.1.0.150/24\ndhcp_server=on').settings;
  assert.equal(dhcpPlan(inside).first, '10.1.0.151');
  assert.equal(dhcpPlan(parseSettings('address=172.16.0.1/16\ndhcp_server=on').settings).netmask, '255.255.0.0');
});

test('bounds: a huge file is refused whole, errors are capped, long values are refused', () => {
  const big = parseSettings(`hostname=x\n${'#'.repeat(MAX_SETTINGS_BYTES)}`);
  assert.equal(big.settings.hostname, 'lanbox');
  assert.match(big.errors[0]!, /larger than/);
  const many = parseSettings('nope=1\n'.repeat(200));
  assert.equal(many.errors.length, MAX_ERRORS);
  const long = parseSettings(`ssh_key=${'A'.repeat(5000)}`);
  assert.match(long.errors[0]!, /longer than/);
});

test('fuzz: any text parses without throwing, into valid settings and bounded errors (fixed seed)', () => {
  const line = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc
      .tuple(
        fc.constantFrom('hostname', 'address', 'gateway', 'dns', 'ssh_key', 'turn_user', 'turn_password', 'dhcp_server', 'dhcp_range', 'jami_dns', 'x'),
        fc.string({ maxLength: 60 }),
      )
      .map(([k, v]) => `${k}=${v}`),
  );
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 40 }).map((l) => l.join('\n')),
      (text) => {
        const r = parseSettings(text);
        assert.ok(r.errors.length <= MAX_ERRORS);
        assert.match(r.settings.hostname, /^[a-z0-9-]{1,63}$/);
        assert.ok(r.settings.sshKeys.every((k) => !k.includes('\n')));
        assert.ok(/^[A-Za-z0-9._~-]+$/.test(r.settings.turnUser) && /^[A-Za-z0-9._~-]+$/.test(r.settings.turnPassword));
        if (r.settings.dhcpServer) dhcpPlan(r.settings);
      },
    ),
    { numRuns: 2000, seed: 10 },
  );
});
