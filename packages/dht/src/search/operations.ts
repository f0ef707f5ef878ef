/**
 * The node's own DHT operations (it is also a client: the proxy uses them): get, put (with
 * permanent re-announcement), listen (with 20 s refresh and `update` handling) and find. Each runs
 * one lookup per bound address family and merges the results with local storage.
 */
import { toHex } from '../codec/infohash.js';
import type { Family, InfoHash, Query, Request, Value } from '../codec/types.js';
import type { ListenCallback, PutResult, Scheduler } from '../node-types.js';
import type { Peer } from '../routing/peer.js';
import type { RoutingTable } from '../routing/table.js';
import type { Engine } from '../rpc/engine.js';
import { LOCAL_SOURCE, lifetimeMs, type Notification, type StorageEvent, type ValueStore } from '../storage/index.js';
import { mergeValue as merge, PaginatedGet } from './paginated-get.js';
import { SEARCH_NODES, Search, type SearchHooks } from './search.js';

/** Nodes a value is put on (per family). */
export const PUT_NODES = 8;
/** Nodes a listen is sent to (per family). */
export const LISTEN_NODES = 4;
/** Listens are re-sent this often (OpenDHT: 30 s listen lifetime minus a 10 s margin). */
export const LISTEN_REFRESH_MS = 20_000;
/** The listening nodes are looked up again this often (new closer nodes, fresh tokens). */
export const LISTEN_RESEARCH_MS = 5 * 60_000;
/** Permanent values are put again this long before they would expire. */
export const REANNOUNCE_MARGIN_MS = 10_000;

export interface OperationsDeps {
  engine: Engine;
  storage: ValueStore;
  tables: { 4: RoutingTable; 6: RoutingTable };
  now: () => number;
  /** Families with a bound socket. */
  families: () => Family[];
  notify: (notifications: Notification[]) => void;
  randomUint32: () => number;
  scheduler: Scheduler;
  /** Most value ids one get fetches one by one after its SELECT phase. */
  maxGetIds: number;
}

interface ListenTarget {
  peer: Peer;
  socketId: number;
  token: Uint8Array;
}

interface ListenOp {
  key: InfoHash;
  query?: Query;
  callback: ListenCallback;
  known: Map<bigint, Value>;
  targets: { 4: ListenTarget[]; 6: ListenTarget[] };
  cancelLocal: () => void;
  nextRefresh: number;
  nextSearch: number;
  searching: number;
  cancelled: boolean;
}

interface Announce {
  key: InfoHash;
  value: Value;
  nextAt: number;
}

export class Operations {
  private readonly searches = new Set<Search>();
  private readonly listens = new Set<ListenOp>();
  private readonly listenBySid = new Map<number, { op: ListenOp; target: ListenTarget }>();
  private readonly announces = new Map<string, Announce>();
  private readonly pendingCalls = new Set<() => void>();

  constructor(private readonly deps: OperationsDeps) {}

  get activeSearches(): number {
    return this.searches.size;
  }

  get activeListens(): number {
    return this.listens.size;
  }

  /** Run one lookup; `onDone` gets the finished search. A get lookup hands over what the replies carry. */
  lookup(
    family: Family,
    target: InfoHash,
    kind: 'find' | 'get',
    onDone: (s: Search) => void,
    get?: { query?: Query; onValues?: SearchHooks['onValues']; onFields?: SearchHooks['onFields'] },
  ): Search {
    const search = new Search(
      this.deps.engine,
      family,
      target,
      kind,
      {
        onValues: get?.onValues,
        onFields: get?.onFields,
        onDone: (s) => {
          this.searches.delete(s);
          onDone(s);
        },
      },
      get?.query,
    );
    this.searches.add(search);
    for (const peer of this.deps.tables[family].closest(target, SEARCH_NODES, (p) => !p.isExpired())) search.add(peer);
    search.step();
    return search;
  }

  /** Run `fn` once per bound family and call `done` when every family finished. */
  private perFamily(run: (family: Family, finished: () => void) => void, done: () => void): void {
    const families = this.deps.families();
    let remaining = families.length;
    if (remaining === 0) {
      done();
      return;
    }
    for (const family of families) run(family, () => --remaining === 0 && done());
  }

  /** A promise that settles on completion, after `timeoutMs` (with what is known), or on `abortAll()` (stop). */
  private track<T>(executor: (resolve: (v: T) => void) => void, fallback: () => T, timeoutMs?: number): Promise<T> {
    return new Promise<T>((resolve) => {
      let settled = false;
      const abort = (): void => finish(fallback());
      const timer = timeoutMs !== undefined ? this.deps.scheduler.schedule(timeoutMs, abort) : null;
      const finish = (v: T): void => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        this.pendingCalls.delete(abort);
        resolve(v);
      };
      this.pendingCalls.add(abort);
      executor(finish);
    });
  }

  /**
   * Paginated like OpenDHT's (see PaginatedGet): SELECT id, seq on the search nodes, then one
   * WHERE id get per id we do not hold. Settles once every lookup and every fetch is done.
   */
  get(key: InfoHash, query: Query | undefined, timeoutMs: number): Promise<Value[]> {
    const results = new Map<bigint, Value>();
    for (const v of this.deps.storage.get(key, query)) merge(results, v);
    const selectQuery = PaginatedGet.selectQuery(query?.where);
    let searching = true;
    let settle: ((values: Value[]) => void) | undefined;
    const pages = new PaginatedGet(this.deps.engine, key, results, this.deps.maxGetIds, () => {
      if (!searching) settle?.([...results.values()]);
    });
    return this.track(
      (resolve) => {
        settle = (values) => {
          pages.stop();
          resolve(values);
        };
        this.perFamily(
          (family, finished) =>
            this.lookup(family, key, 'get', finished, {
              query: selectQuery,
              onValues: (values) => pages.onValues(values),
              onFields: (fields, from) => pages.onFields(fields, from),
            }),
          () => {
            searching = false;
            if (pages.idle) settle?.([...results.values()]);
          },
        );
      },
      () => {
        pages.stop();
        return [...results.values()];
      },
      timeoutMs,
    );
  }

  put(key: InfoHash, value: Value, permanent: boolean, createdMs: number | undefined): Promise<PutResult> {
    const now = this.deps.now();
    const { outcome, notifications } = this.deps.storage.put(key, value, { createdMs, source: LOCAL_SOURCE });
    if (notifications.length > 0) this.deps.notify(notifications);
    // The proxy answers a put by whether it was kept: our own storage counts, since on the LAN the
    // box is the node everyone reads from.
    const local = outcome.result === 'rejected' ? { stored: false, refused: outcome.reason } : { stored: true };
    const announceKey = `${toHex(key)}:${value.id}`;
    if (permanent) {
      const lifetime = lifetimeMs(value.body?.type ?? 0);
      this.announces.set(announceKey, { key, value, nextAt: now + Math.max(lifetime - REANNOUNCE_MARGIN_MS, 1000) });
    }
    // Permanent puts carry no `c`; others say when the value was made (Unix seconds).
    const created = permanent ? undefined : Math.floor((createdMs ?? now) / 1000);
    let acks = 0;
    return this.track(
      (resolve) =>
        this.perFamily(
          (family, finished) =>
            this.lookup(family, key, 'find', (search) => {
              const targets = search.answered(PUT_NODES);
              let waiting = targets.length;
              if (waiting === 0) finished();
              for (const target of targets) {
                const request: Request = {
                  type: 'put',
                  id: this.deps.engine.ownId,
                  key,
                  values: { kind: 'inline', values: [value] },
                  created,
                  token: target.token,
                };
                const txn = this.deps.engine.request(target.peer, request, (outcome) => {
                  if (outcome.kind === 'reply' && outcome.reply.valueId === value.id) acks++;
                  if (--waiting === 0) finished();
                });
                if (!txn && --waiting === 0) finished();
              }
            }),
          () => resolve({ acks, ...local }),
        ),
      () => ({ acks, ...local }),
    );
  }

  cancelPut(key: InfoHash, valueId: bigint): void {
    this.announces.delete(`${toHex(key)}:${valueId}`);
  }

  find(target: InfoHash): Promise<Array<{ id: InfoHash; family: Family; address: string; port: number }>> {
    const found: Array<{ id: InfoHash; family: Family; address: string; port: number }> = [];
    return this.track(
      (resolve) =>
        this.perFamily(
          (family, finished) =>
            this.lookup(family, target, 'find', (search) => {
              for (const n of search.answered(PUT_NODES)) found.push({ id: n.peer.id, family, address: n.peer.address, port: n.peer.port });
              finished();
            }),
          () => resolve(found),
        ),
      () => found,
    );
  }

  listen(key: InfoHash, callback: ListenCallback, query?: Query): () => void {
    const now = this.deps.now();
    const op: ListenOp = {
      key,
      query,
      callback,
      known: new Map(),
      targets: { 4: [], 6: [] },
      cancelLocal: () => {},
      nextRefresh: now + LISTEN_REFRESH_MS,
      nextSearch: now + LISTEN_RESEARCH_MS,
      searching: 0,
      cancelled: false,
    };
    this.listens.add(op);
    const local = this.deps.storage.listenLocal(key, query, (event) => this.onEvent(op, event));
    op.cancelLocal = local.cancel;
    // The values already stored reach the callback like every later event: through delivery.
    if (local.notifications.length > 0) this.deps.notify(local.notifications);
    this.searchListeners(op);
    return () => {
      if (op.cancelled) return;
      op.cancelled = true;
      op.cancelLocal();
      this.listens.delete(op);
      for (const family of [4, 6] as const) for (const t of op.targets[family]) this.listenBySid.delete(t.socketId);
    };
  }

  private onEvent(op: ListenOp, event: StorageEvent): void {
    if (op.cancelled) return;
    if (event.kind === 'values') {
      const fresh = event.values.filter((v) => merge(op.known, v));
      if (fresh.length > 0) op.callback(fresh, false);
    } else if (event.kind === 'expired') {
      const gone: Value[] = [];
      for (const id of event.ids) {
        const v = op.known.get(id);
        if (v) {
          op.known.delete(id);
          gone.push(v);
        }
      }
      if (gone.length > 0) op.callback(gone, true);
    }
  }

  /** Find the listening nodes of each family, then subscribe there. */
  private searchListeners(op: ListenOp): void {
    for (const family of this.deps.families()) {
      op.searching++;
      this.lookup(family, op.key, 'find', (search) => {
        op.searching--;
        if (op.cancelled) return;
        const previous = new Map(op.targets[family].map((t) => [t.peer.hex, t]));
        const targets: ListenTarget[] = [];
        for (const node of search.answered(LISTEN_NODES)) {
          const old = previous.get(node.peer.hex);
          previous.delete(node.peer.hex);
          const target = old ?? { peer: node.peer, socketId: this.newSocketId(), token: node.token! };
          target.token = node.token!;
          this.listenBySid.set(target.socketId, { op, target });
          targets.push(target);
        }
        for (const gone of previous.values()) this.listenBySid.delete(gone.socketId);
        op.targets[family] = targets;
        for (const target of targets) this.sendListen(op, target);
      });
    }
  }

  private newSocketId(): number {
    let sid = this.deps.randomUint32() || 1;
    while (this.listenBySid.has(sid)) sid = this.deps.randomUint32() || 1;
    return sid;
  }

  private sendListen(op: ListenOp, target: ListenTarget): void {
    const request: Request = {
      type: 'listen',
      id: this.deps.engine.ownId,
      key: op.key,
      token: target.token,
      socketId: target.socketId,
      version: 1,
      query: op.query && op.query.where.length > 0 ? { select: [], where: op.query.where } : undefined,
    };
    this.deps.engine.request(target.peer, request, (outcome) => {
      if (op.cancelled) return;
      if (outcome.kind === 'reply' && outcome.reply.token) target.token = outcome.reply.token;
      // A refused token or a dead node: look the listening nodes up again at the next refresh.
      if (outcome.kind !== 'reply') op.nextSearch = 0;
    });
  }

  /** An `update` request from a node we listen to. */
  onUpdate(from: Peer, request: Request & { type: 'update' }): void {
    const entry = this.listenBySid.get(request.socketId);
    if (!entry || entry.target.peer.hex !== from.hex) return;
    const { op } = entry;
    if (request.values?.kind === 'inline' && request.values.values.length > 0) {
      this.onEvent(op, { kind: 'values', values: request.values.values });
    }
    if (request.expired && request.expired.length > 0) this.onEvent(op, { kind: 'expired', ids: request.expired });
    if (request.token) entry.target.token = request.token;
  }

  /** Listen refreshes and permanent re-announcements that are due. */
  tick(now: number): void {
    for (const op of this.listens) {
      if (op.searching > 0) continue;
      if (now >= op.nextSearch) {
        op.nextSearch = now + LISTEN_RESEARCH_MS;
        op.nextRefresh = now + LISTEN_REFRESH_MS;
        this.searchListeners(op);
      } else if (now >= op.nextRefresh) {
        op.nextRefresh = now + LISTEN_REFRESH_MS;
        for (const family of [4, 6] as const) for (const target of op.targets[family]) this.sendListen(op, target);
      }
    }
    for (const announce of this.announces.values()) {
      if (now < announce.nextAt) continue;
      const lifetime = lifetimeMs(announce.value.body?.type ?? 0);
      announce.nextAt = now + Math.max(lifetime - REANNOUNCE_MARGIN_MS, 1000);
      void this.put(announce.key, announce.value, true, undefined);
    }
  }

  /** Settle every pending promise and forget listens and announces (stop). */
  abortAll(): void {
    for (const search of [...this.searches]) search.abort();
    for (const abort of [...this.pendingCalls]) abort();
    for (const op of [...this.listens]) {
      op.cancelled = true;
      op.cancelLocal();
    }
    this.listens.clear();
    this.listenBySid.clear();
    this.announces.clear();
  }
}
