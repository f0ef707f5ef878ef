/**
 * Anti-entropy: the periodic pull from each known box. Both sides keep a digest index of the
 * replicated set (digest.ts); an exchange compares digests and copies only what differs.
 */
import { BUCKETS, decodeBatch, decodeBuckets, decodeEntries, decodeHello } from './codec/wire.js';
import { applyBatch } from './apply.js';
import { track, type Peer, type ReplicationContext } from './context.js';
import { call, identify, markDown, markUp } from './peers.js';

/** Copies what differs in one bucket: its entry list, then the entries we lack, a page at a time. */
async function pullBucket(ctx: ReplicationContext, peer: Peer, b: number): Promise<void> {
  const { opts, index } = ctx;
  const entries = decodeEntries(await call(ctx, peer, 'GET', `/bucket/${b}`), opts.maxBucketEntries);
  if (!entries.ok) throw new Error(`bad bucket answer: ${entries.error}`);
  const want = entries.value.filter(([key, digest]) => index.get(key) !== digest && !ctx.refused.has(`${key.split('/')[0]} ${digest}`)).map(([key]) => key);
  for (let i = 0; i < want.length && ctx.running; i += opts.pageSize) {
    const answer = decodeBatch(await call(ctx, peer, 'POST', '/fetch', { keys: want.slice(i, i + opts.pageSize) }), opts.pageSize * 2);
    if (!answer.ok) throw new Error(`bad fetch answer: ${answer.error}`);
    await applyBatch(ctx, answer.value.records, answer.value.tombstones, peer.host, peer);
  }
}

/**
 * Anti-entropy with one box: compare the 256 bucket digests, then copy the differing buckets,
 * a few at a time so that the other box's reads, the network and our verification overlap.
 * Whatever was applied stays applied: an interrupted exchange resumes where buckets still differ.
 */
async function pull(ctx: ReplicationContext, peer: Peer): Promise<void> {
  const buckets = decodeBuckets(await call(ctx, peer, 'GET', '/buckets'));
  if (!buckets.ok) throw new Error(`bad buckets answer: ${buckets.error}`);
  const mine = ctx.index.bucketDigests();
  const differing = Array.from({ length: BUCKETS }, (_, b) => b).filter((b) => buckets.value[b] !== mine[b]);
  const worker = async (): Promise<void> => {
    for (let b = differing.shift(); b !== undefined && ctx.running; b = differing.shift()) await pullBucket(ctx, peer, b);
  };
  await Promise.all(Array.from({ length: ctx.opts.syncConcurrency }, worker));
}

async function sync(ctx: ReplicationContext, peer: Peer): Promise<void> {
  const { clock, index, counters } = ctx;
  try {
    const hello = decodeHello(await call(ctx, peer, 'GET', '/hello'));
    if (!hello.ok) throw new Error(`bad hello: ${hello.error}`);
    if (!identify(ctx, peer, hello.value.box)) return;
    markUp(ctx, peer, hello.value.dhtPort);
    if (hello.value.root !== index.root() || hello.value.count !== index.size) await pull(ctx, peer);
    if (!ctx.running) return;
    peer.lastSync = clock.now();
    peer.nextSyncAt = clock.now() + ctx.opts.syncIntervalMs;
    counters.syncs += 1;
    if (peer.id !== null) await ctx.saved.putPeer({ id: peer.id, host: peer.host, port: peer.port, lastSync: peer.lastSync });
  } catch (err) {
    counters.syncFailures += 1;
    markDown(ctx, peer, err);
  }
}

/** One exchange per box at a time: a second call while one runs joins it. */
export function startSync(ctx: ReplicationContext, peer: Peer): Promise<void> {
  if (peer.syncing !== null) return peer.syncing;
  const run = track(ctx, sync(ctx, peer)).finally(() => {
    peer.syncing = null;
  });
  peer.syncing = run;
  return run;
}
