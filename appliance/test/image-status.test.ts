/**
 * The `image` block of /api/status: read from the files the SD-card image's boot helpers write;
 * absent off the image; degraded when the settings file had errors or the DHCP guard failed;
 * bounded and never throwing on garbage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readImageStatus } from '../src/image-status.js';

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lanbox-image-status-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

test('off the image (no files) there is no block', async () => {
  const dir = await dirWith({});
  assert.equal(readImageStatus(dir), null);
  assert.equal(readImageStatus(join(dir, 'missing')), null);
  await rm(dir, { recursive: true });
});

test('settings errors and a refused DHCP server are reported with their reasons', async () => {
  const dir = await dirWith({
    'box-status.json': JSON.stringify({
      settingsFile: { path: '/boot/firmware/lanbox.txt', present: true, applied: ['ssh_key'], errors: ['line 2: unknown setting "x"'] },
      hostname: 'lanbox',
      address: 'DHCP, link-local fallback',
      ssh: 'on (1 key)',
    }),
    'dhcp-status.json': JSON.stringify({
      mode: 'refused',
      serving: false,
      reason: 'not serving: another DHCP server answers on eth0 (10.0.0.1)',
      checkedAt: '2026-01-01T00:00:00.000Z',
      otherServers: ['10.0.0.1'],
    }),
  });
  const s = readImageStatus(dir)!;
  assert.equal(s.state, 'degraded');
  assert.match(s.summary, /1 error in the settings file; DHCP server refused/);
  assert.deepEqual(s.settingsFile?.errors, ['line 2: unknown setting "x"']);
  assert.deepEqual(s.dhcp, {
    mode: 'refused',
    serving: false,
    reason: 'not serving: another DHCP server answers on eth0 (10.0.0.1)',
    checkedAt: '2026-01-01T00:00:00.000Z',
    otherServers: ['10.0.0.1'],
  });
  assert.equal(s.ssh, 'on (1 key)');
  await rm(dir, { recursive: true });
});

test('a clean setup serving DHCP is ok', async () => {
  const dir = await dirWith({
    'box-status.json': JSON.stringify({ settingsFile: { path: '/boot/firmware/lanbox.txt', present: true, applied: ['dhcp_server'], errors: [] } }),
    'dhcp-status.json': JSON.stringify({ mode: 'serving', serving: true, reason: 'serving 10.48.0.102 to 10.48.0.250 on eth0' }),
  });
  const s = readImageStatus(dir)!;
  assert.equal(s.state, 'ok');
  assert.equal(s.summary, 'serving DHCP');
  await rm(dir, { recursive: true });
});

test('garbage, wrong types and oversized files never throw and are counted as unreadable', async () => {
  const dir = await dirWith({
    'box-status.json': '{"settingsFile": {"errors": "not a list", "applied": [1, {"a": 2}]}, "hostname": 42}',
    'dhcp-status.json': 'x'.repeat(70 * 1024),
  });
  const s = readImageStatus(dir)!;
  assert.equal(s.unreadable, 1);
  assert.equal(s.state, 'degraded');
  assert.deepEqual(s.settingsFile?.errors, []);
  assert.deepEqual(s.settingsFile?.applied, ['1', '[object Object]']);
  assert.equal(s.hostname, null);
  await writeFile(join(dir, 'box-status.json'), '[1,2]');
  await writeFile(join(dir, 'dhcp-status.json'), 'not json');
  assert.equal(readImageStatus(dir)?.unreadable, 2);
  const many = await dirWith({ 'box-status.json': JSON.stringify({ settingsFile: { errors: Array.from({ length: 100 }, () => 'e'.repeat(500)) } }) });
  const m = readImageStatus(many)!;
  assert.equal(m.settingsFile?.errors.length, 20);
  assert.ok(m.settingsFile!.errors.every((e) => e.length <= 300));
  await rm(dir, { recursive: true });
  await rm(many, { recursive: true });
});
