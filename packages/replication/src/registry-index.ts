/**
 * The registry's part of the digest index: built at start, and built again when the registry
 * changed outside replication or could not be read before.
 */
import type { RegistryAccess } from '@lanbox/nameserver';
import { toWire } from './codec/wire.js';
import type { ReplicationContext } from './context.js';
import { recordDigest } from './digest.js';

/** Indexes every record of the registry; a registry that cannot be read is indexed on a later tick. */
export async function indexRegistry(ctx: ReplicationContext, a: RegistryAccess): Promise<void> {
  try {
    for await (const r of a.list()) ctx.index.set(r.name, recordDigest(toWire(r)));
  } catch (err) {
    // The registry's store is unavailable (e.g. a full disk): replication starts anyway and
    // indexes the registry once it can be read.
    ctx.needsIndex = true;
    ctx.logger?.warn({ err: (err as Error).message }, 'cannot read the name registry yet');
  }
}

/** Never rejects: a registry that cannot be read now is tried again on a later tick. */
export async function reindex(ctx: ReplicationContext, a: RegistryAccess): Promise<void> {
  const { index } = ctx;
  ctx.reindexing = true;
  try {
    await a.exclusive(async () => {
      if (!ctx.needsIndex && a.count() === index.size - ctx.tombstones.size) return;
      const held = new Map<string, string>();
      for await (const r of a.list()) held.set(r.name, recordDigest(toWire(r)));
      for (const key of [...index.keys()]) if (!key.includes('/') && !held.has(key)) index.delete(key);
      for (const [name, digest] of held) index.set(name, digest);
      if (!ctx.needsIndex) ctx.logger?.warn({ names: held.size }, 'registry changed outside replication: indexed again');
      ctx.needsIndex = false;
    });
  } catch (err) {
    ctx.needsIndex = true;
    ctx.logger?.warn({ err: (err as Error).message }, 'cannot read the name registry; replication will index it later');
  } finally {
    ctx.reindexing = false;
  }
}
