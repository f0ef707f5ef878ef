/**
 * Finding 4 of the reliability audit: of 14 kinds of damage to the LevelDB files, 8 stopped the
 * box from starting and 4 silently lost names. Each kind is applied to a copy of a data dir
 * holding names in a table file and in the log; the registry must open, keep a copy of the
 * damaged files, say what it found, and serve every name (from the store or the last backup).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { durableRegistryIn, type NameRecord } from '../src/index.js';

const hex = (i: number, salt: number) => (salt.toString(16) + i.toString(16)).padStart(40, '0');
const record = (i: number): NameRecord => ({
  name: `damage-${i}`,
  addr: hex(i, 0xa),
  owner: hex(i, 0xb),
  publickey: Buffer.from(`key of ${i} `.repeat(40)).toString('base64'),
  signature: Buffer.from(`signature of ${i} `.repeat(20)).toString('base64'),
  registeredAt: 1_700_000_000_000 + i,
});
const IN_TABLE = Array.from({ length: 40 }, (_, i) => record(i));
const IN_LOG = Array.from({ length: 20 }, (_, i) => record(40 + i));

async function filesOf(dir: string, test: (f: string) => boolean): Promise<string[]> {
  return (await readdir(dir)).filter(test).map((f) => join(dir, f));
}
const one = async (dir: string, test: (f: string) => boolean): Promise<string> => {
  const [f] = await filesOf(dir, test);
  assert.ok(f !== undefined, 'the template lacks a file to damage');
  return f;
};
const isTable = (f: string) => f.endsWith('.ldb');
const isLog = (f: string) => f.endsWith('.log');
const isManifest = (f: string) => f.startsWith('MANIFEST-');
const isCurrent = (f: string) => f === 'CURRENT';

async function garble(path: string): Promise<void> {
  const data = await readFile(path);
  const at = Math.floor(data.length / 3);
  randomBytes(Math.min(256, data.length - at)).copy(data, at);
  await writeFile(path, data);
}
async function flipByte(path: string): Promise<void> {
  const data = await readFile(path);
  const at = Math.floor(data.length / 2);
  data[at] = (data[at] ?? 0) ^ 0x55;
  await writeFile(path, data);
}
const half = async (path: string) => truncate(path, Math.floor((await stat(path)).size / 2));

const DAMAGE: Record<string, (names: string) => Promise<void>> = {
  'a flipped byte in a table file': async (d) => flipByte(await one(d, isTable)),
  'a garbled table file': async (d) => garble(await one(d, isTable)),
  'a truncated table file': async (d) => half(await one(d, isTable)),
  'a missing table file': async (d) => unlink(await one(d, isTable)),
  'a garbled MANIFEST': async (d) => garble(await one(d, isManifest)),
  'a truncated MANIFEST': async (d) => half(await one(d, isManifest)),
  'a missing MANIFEST': async (d) => unlink(await one(d, isManifest)),
  'a garbled CURRENT': async (d) => writeFile(await one(d, isCurrent), 'MANIFEST-9z9\n'),
  'an empty CURRENT': async (d) => truncate(await one(d, isCurrent), 0),
  'a missing CURRENT': async (d) => unlink(await one(d, isCurrent)),
  'a garbled log': async (d) => garble(await one(d, isLog)),
  'a truncated log': async (d) => half(await one(d, isLog)),
  'a missing log': async (d) => unlink(await one(d, isLog)),
  'every file missing': async (d) => {
    for (const f of await filesOf(d, () => true)) await rm(f, { recursive: true });
  },
};

describe('damaged names store', () => {
  let root: string;
  let template: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'lbrl-damage-'));
    template = join(root, 'template');
    // Session 1 writes 40 names; reopening flushes them from the log into a table file. Session 2
    // adds 20 that stay in the log. Each close leaves a verified backup.
    let reg = durableRegistryIn(template);
    await reg.open();
    await reg.insert(IN_TABLE);
    await reg.close();
    reg = durableRegistryIn(template);
    await reg.open();
    await reg.insert(IN_LOG);
    await reg.close();
    const names = join(template, 'names');
    for (const test of [isTable, isLog, isManifest, isCurrent]) await one(names, test);
  });
  after(async () => rm(root, { recursive: true, force: true }));

  for (const [kind, damage] of Object.entries(DAMAGE)) {
    it(`${kind}: opens, keeps a copy, reports it, and serves every name`, async () => {
      const dataDir = await mkdtemp(join(root, 'case-'));
      await cp(template, dataDir, { recursive: true });
      await damage(join(dataDir, 'names'));
      const reg = durableRegistryIn(dataDir);
      await reg.open();
      try {
        const health = reg.health();
        assert.equal(health.state, 'ok', health.problem ?? '');
        assert.ok(health.damage !== null, 'the damage was not reported');
        assert.ok(health.damage.copy !== null && (await readdir(health.damage.copy)).length > 0, 'no copy of the damaged files');
        for (const r of [...IN_TABLE, ...IN_LOG]) assert.equal((await reg.getByName(r.name))?.addr, r.addr, `${r.name} lost`);
        assert.equal(reg.count(), 60);
        assert.equal(health.damage.lost, 0);
        // The store takes writes again.
        await reg.insert([record(99)]);
        assert.equal((await reg.getByName('damage-99'))?.addr, record(99).addr);
      } finally {
        await reg.close();
      }
    });
  }

  it('a damaged log with an older backup loses at most what came after that backup, and says how many came back', async () => {
    const dataDir = await mkdtemp(join(root, 'stale-'));
    await cp(template, dataDir, { recursive: true });
    // Keep only the backup of session 1 (40 names).
    const backups = (await readdir(join(dataDir, 'backups'))).filter((f) => f.endsWith('.json')).sort();
    assert.equal(backups.length, 2);
    await rm(join(dataDir, 'backups', backups[1]!));
    await unlink(await one(join(dataDir, 'names'), isLog));
    const reg = durableRegistryIn(dataDir);
    await reg.open();
    try {
      for (const r of IN_TABLE) assert.equal((await reg.getByName(r.name))?.addr, r.addr, `${r.name} (in the backup) lost`);
      const damage = reg.health().damage;
      assert.ok(damage !== null, 'the loss was not reported');
      // The 20 names of the log came after the last backup: lost, and counted as such.
      assert.equal(reg.count(), 40);
      assert.equal(damage.lost, 20);
      assert.ok(damage.copy !== null);
    } finally {
      await reg.close();
    }
  });

  it('the operator repair keeps a copy, rebuilds the store and marks the damage dealt with', async () => {
    const dataDir = await mkdtemp(join(root, 'repair-'));
    await cp(template, dataDir, { recursive: true });
    await unlink(await one(join(dataDir, 'names'), isLog));
    const reg = durableRegistryIn(dataDir);
    await reg.open();
    try {
      assert.equal(reg.health().repairedAt, null);
      const health = await reg.repair();
      assert.equal(health.state, 'ok');
      assert.ok(health.repairedAt !== null && health.damage !== null && health.damage.detectedAt <= health.repairedAt);
      assert.equal(reg.count(), 60);
    } finally {
      await reg.close();
    }
  });
});
