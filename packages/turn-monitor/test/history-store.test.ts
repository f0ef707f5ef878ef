import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ServerHistory } from '../src/monitor/history.js';
import { classify, worst } from '../src/probe/classify.js';
import { createFileStore, TIMELINE_BUCKETS, type PersistedSummary } from '../src/index.js';

describe('history', () => {
  it('keeps only the window and at most `limit` entries, and counts states', () => {
    const h = new ServerHistory(10_000, 5, 3);
    for (let i = 0; i < 8; i++) h.add({ at: i * 1000, state: i % 4 === 3 ? 'down' : 'ok' });
    assert.equal(h.size, 5);
    let s = h.summary();
    assert.deepEqual([s.checks, s.ok, s.down, s.degraded], [5, 3, 2, 0]);
    assert.deepEqual(
      s.recent.map((e) => e.at),
      [5000, 6000, 7000],
    );
    assert.equal(s.lastOkAt, 6000);
    assert.equal(s.lastFailureAt, 7000);
    h.prune(15_500);
    s = h.summary();
    assert.deepEqual(
      s.recent.map((e) => e.at),
      [6000, 7000],
    );
    h.prune(100_000);
    assert.equal(h.summary().checks, 0);
    assert.equal(h.summary().lastOkAt, 6000, 'last-ok time outlives the window');
  });

  it('cuts the window into a timeline of slices that keep the reason of their last failure', () => {
    const h = new ServerHistory(48_000, 1000, 10);
    // Slices are 1 s wide; checks every 250 ms for 60 s, down with a reason from 30 s to 32 s.
    for (let t = 0; t < 60_000; t += 250) {
      const bad = t >= 30_000 && t < 32_000;
      h.add({ at: t, state: bad ? 'down' : 'ok', ...(bad ? { error: `tcp-connect: refused at ${t}` } : {}) });
    }
    const tl = h.summary(60_000).timeline;
    assert.equal(tl.buckets.length, TIMELINE_BUCKETS);
    assert.equal(tl.end, 60_000);
    assert.equal(tl.bucketMs, 1000);
    // The window starts at 12 s: slice i covers [12 + i, 13 + i) s.
    const at = (sec: number) => tl.buckets[sec - 12];
    assert.deepEqual(at(29), { ok: 4, degraded: 0, down: 0, error: null });
    assert.deepEqual(at(30), { ok: 0, degraded: 0, down: 4, error: 'tcp-connect: refused at 30750' });
    assert.deepEqual(at(31), { ok: 0, degraded: 0, down: 4, error: 'tcp-connect: refused at 31750' });
    assert.deepEqual(at(59), { ok: 4, degraded: 0, down: 0, error: null });
    assert.equal(
      tl.buckets.reduce((n, b) => n + b.ok + b.down + b.degraded, 0),
      192,
      'every check from 12 s to 59.75 s',
    );
    // Later, with no new checks, the slices move on and old ones are empty.
    const later = h.summary(100_000).timeline;
    assert.equal(later.buckets.filter((b) => b.ok + b.down > 0).length, 8, 'only 52..60 s remain in the window');
    assert.equal(
      new ServerHistory(48_000, 10, 3).summary().timeline.buckets.every((b) => b.ok + b.down + b.degraded === 0),
      true,
    );
  });

  it('at the default cadence 24 h stay within the default bound', () => {
    const h = new ServerHistory(86_400_000, 1440, 60);
    for (let i = 0; i < 3000; i++) h.add({ at: i * 60_000, state: 'ok' });
    assert.equal(h.size, 1440);
  });
});

describe('classification', () => {
  it('follows the table: allocation path down, capacity and later steps degraded', () => {
    const f = (step: Parameters<typeof classify>[0]['step'], code?: number) =>
      classify(code === undefined ? { step, kind: 'timeout', reason: '' } : { step, kind: 'error-response', code, reason: '' });
    assert.equal(f('binding'), 'down');
    assert.equal(f('tcp-connect'), 'down');
    assert.equal(f('tcp-allocate', 442), 'down');
    assert.equal(f('allocate', 401), 'down');
    assert.equal(f('allocate', 441), 'down');
    assert.equal(f('allocate', 486), 'degraded');
    assert.equal(f('tcp-allocate', 508), 'degraded');
    assert.equal(f('allocate', 437), 'degraded');
    assert.equal(f('relay'), 'degraded');
    assert.equal(f('permission', 403), 'degraded');
    assert.equal(f('tcp-peer-accept'), 'degraded');
    assert.equal(worst('ok', 'degraded'), 'degraded');
    assert.equal(worst('down', 'degraded'), 'down');
  });
});

describe('file store', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const summary: PersistedSummary = {
    version: 1,
    savedAt: 1234,
    servers: {
      'turn://ring@127.0.0.1:3478': {
        state: 'degraded',
        lastCheckedAt: 1200,
        lastError: 'allocate: 486 Allocation Quota Reached',
        lastOkAt: 600,
        lastFailureAt: 1200,
        checks: 3,
        ok: 2,
        degraded: 1,
        down: 0,
      },
    },
  };

  it('round-trips through an atomic write and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turn-store-'));
    dirs.push(dir);
    const path = join(dir, 'turn-monitor.json');
    const store = createFileStore(path);
    assert.equal(await store.load(), undefined);
    await store.save(summary);
    await store.save({ ...summary, savedAt: 5678 });
    assert.deepEqual(await store.load(), { ...summary, savedAt: 5678 });
    assert.deepEqual(await readdir(dir), ['turn-monitor.json']);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).savedAt, 5678);
  });

  it('treats a torn, foreign or oversized file as no summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turn-store-'));
    dirs.push(dir);
    const path = join(dir, 's.json');
    const store = createFileStore(path);
    for (const content of [
      '{"version":1,"savedAt":1,"serv',
      '{"version":2,"savedAt":1,"servers":{}}',
      JSON.stringify({ ...summary, servers: { x: { state: 'great' } } }),
      ' '.repeat(2 << 20),
    ]) {
      await writeFile(path, content);
      assert.equal(await store.load(), undefined, content.slice(0, 40));
    }
  });
});
