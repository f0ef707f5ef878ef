/**
 * The node's own get, paginated like OpenDHT's (§7.3): the search nodes are asked for the ids
 * (and seqs) of the matching values only (`SELECT id, seq` + the caller's WHERE), then each id
 * not held yet is fetched alone (`WHERE id = x`) from a node that listed it. Every reply then
 * holds at most one value, so no server ever needs to send a big answer, and servers that cap
 * plain get replies (ours does) still give us everything.
 *
 * An id listed by several nodes is fetched once; another node that listed it is asked when the
 * first fails, or when a node lists a higher seq (an edited signed value) than the copy we got.
 */
import { Field, type FieldFilter, type InfoHash, type Query, type SelectedFields, type Value } from '../codec/types.js';
import type { Peer } from '../routing/peer.js';
import type { Engine } from '../rpc/engine.js';

/** WHERE-id fetches one get keeps in flight (all nodes together). */
export const GET_FETCHES_IN_FLIGHT = 8;
/** Nodes remembered per id as places to fetch it from. */
export const SOURCES_PER_ID = 8;

interface Wanted {
  id: bigint;
  /** Highest seq listed for this id (unsigned values list 0). */
  seq: number;
  /** Nodes that listed the id, the one with the highest seq first. */
  sources: Peer[];
  /** Index of the next source to ask. */
  next: number;
  state: 'queued' | 'fetching' | 'done';
}

/** Merge a value into a result set, keeping the newest version of a signed value (higher seq). */
export function mergeValue(into: Map<bigint, Value>, value: Value): boolean {
  const existing = into.get(value.id);
  if (existing) {
    if (Buffer.compare(existing.packed, value.packed) === 0) return false;
    if ((value.body?.seq ?? 0) < (existing.body?.seq ?? 0)) return false;
  }
  into.set(value.id, value);
  return true;
}

const seqOf = (v: Value): number => v.body?.seq ?? 0;

export class PaginatedGet {
  private readonly wanted = new Map<bigint, Wanted>();
  private readonly queue: Wanted[] = [];
  private inFlight = 0;
  private stopped = false;
  /** Ids listed by nodes but not fetched: the `maxIds` bound was reached. */
  skippedIds = 0;

  constructor(
    private readonly engine: Engine,
    private readonly key: InfoHash,
    /** Values found so far (local ones included), shared with the caller. */
    readonly results: Map<bigint, Value>,
    private readonly maxIds: number,
    /** Called whenever the last fetch finished and nothing is queued. */
    private readonly onIdle: () => void,
  ) {}

  /** The query sent to the search nodes: SELECT id, seq with the caller's WHERE filters. */
  static selectQuery(where: FieldFilter[] | undefined): Query {
    return { select: [Field.id, Field.seq], where: where ?? [] };
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.queue.length === 0;
  }

  /** Values in a get reply: an old-style answer to the SELECT (or anything else a node sent). */
  onValues(values: Value[]): void {
    for (const v of values) mergeValue(this.results, v);
  }

  /** A `fileds` reply: queue the ids (with a newer seq) that we do not hold. */
  onFields(fields: SelectedFields, from: Peer): void {
    if (this.stopped) return;
    const width = fields.fields.length;
    const idAt = fields.fields.indexOf(Field.id);
    if (idAt < 0 || width === 0) return;
    const seqAt = fields.fields.indexOf(Field.seq);
    for (let row = 0; row + width <= fields.values.length; row += width) {
      const id = fields.values[row + idAt];
      if (typeof id !== 'bigint' && typeof id !== 'number') continue;
      const seqEntry = seqAt < 0 ? 0 : fields.values[row + seqAt];
      this.listed(BigInt(id), typeof seqEntry === 'number' ? seqEntry : typeof seqEntry === 'bigint' ? Number(seqEntry) : 0, from);
    }
    this.pump();
  }

  private listed(id: bigint, seq: number, from: Peer): void {
    if (id === 0n) return;
    const held = this.results.get(id);
    let w = this.wanted.get(id);
    if (!w) {
      if (held && seqOf(held) >= seq) return;
      if (this.wanted.size >= this.maxIds) {
        this.skippedIds++;
        return;
      }
      w = { id, seq, sources: [from], next: 0, state: 'queued' };
      this.wanted.set(id, w);
      this.queue.push(w);
      return;
    }
    if (w.sources.some((p) => p.hex === from.hex)) return;
    if (seq > w.seq) {
      // A newer version: ask this node next, whatever we fetched or tried before.
      w.seq = seq;
      w.sources.splice(w.next, 0, from);
      if (w.sources.length > SOURCES_PER_ID) w.sources.length = SOURCES_PER_ID;
      if (w.state === 'done') {
        w.state = 'queued';
        this.queue.push(w);
      }
    } else if (w.sources.length < SOURCES_PER_ID) {
      w.sources.push(from);
    }
  }

  /** Whether the results hold the id at (at least) the listed seq. */
  private satisfied(w: Wanted): boolean {
    const held = this.results.get(w.id);
    return held !== undefined && seqOf(held) >= w.seq;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < GET_FETCHES_IN_FLIGHT && this.queue.length > 0) {
      const w = this.queue.shift()!;
      const source = w.sources[w.next++];
      if (this.satisfied(w) || source === undefined) {
        w.state = 'done';
        continue;
      }
      w.state = 'fetching';
      this.inFlight++;
      const txn = this.engine.request(
        source,
        { type: 'get', id: this.engine.ownId, key: this.key, query: { select: [], where: [{ field: Field.id, value: w.id }] } },
        (outcome) => {
          this.inFlight--;
          if (outcome.kind === 'reply' && outcome.reply.values?.kind === 'inline') {
            // Only the value asked for: a WHERE id reply has no business carrying others.
            for (const v of outcome.reply.values.values) if (v.id === w.id) mergeValue(this.results, v);
          }
          this.fetched(w);
          this.pump();
        },
      );
      if (!txn) {
        this.inFlight--;
        this.fetched(w);
      }
    }
    if (!this.stopped && this.idle) this.onIdle();
  }

  /** A fetch ended: done if it brought the listed version, else queued for the next node that listed it. */
  private fetched(w: Wanted): void {
    if (this.satisfied(w) || w.next >= w.sources.length) {
      w.state = 'done';
    } else {
      w.state = 'queued';
      this.queue.push(w);
    }
  }

  /** No more fetches (the get settled: done, timed out, or the node stopped). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }
}
