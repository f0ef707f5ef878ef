import type { Clock } from '@lanbox/clock';
import { decodeExport, encodeExport, type NameExport } from '../codec/export-file.js';
import { normalizeName } from '../codec/name.js';
import type { NameRecord } from '../codec/record.js';
import { decodeRegistration, type RegistrationDecodeError } from '../codec/registration.js';
import type { NameField } from '../codec/route.js';
import { checkIdentity, type IdentityError } from '../identity.js';
import type { ResolvedOptions } from '../options.js';
import { createRateLimiter } from '../rate-limiter.js';
import { createBearerCheck } from '../transport/bearer.js';
import type { Registry } from '../registry/registry.js';
import type { RegistrationGate, RegistryAccess } from '../replica.js';
import { createCounters, type Counters, type RejectReason } from '../stats.js';
import { lookupError, SUCCESS, writeError, type Reply } from './reply.js';

export type { Clock };

/** Result of `importNames()`. */
export interface ImportResult {
  /** Records written. */
  readonly imported: number;
  /** Records already present with the same address. */
  readonly unchanged: number;
  /** Names skipped because the name or the address is held by another registration here. */
  readonly conflicts: readonly string[];
  /** Entries with a wrong shape or a failed key/signature check. */
  readonly invalid: number;
  /** Valid entries not written because `maxNames` was reached. */
  readonly overLimit: number;
}

const DECODE_REPLIES: Record<RegistrationDecodeError, [RejectReason, string]> = {
  'invalid request': ['invalid-request', 'invalid request'],
  'invalid addr': ['invalid-addr', 'invalid addr'],
  'no owner': ['invalid-owner', 'no owner'],
  'publickey not found or invalid': ['invalid-publickey', 'publickey not found or invalid'],
  'signature not found or invalid': ['invalid-signature', 'signature not found or invalid'],
};

/** 400 for malformed proof material, 401 for well-formed proof that does not hold (jamid: "signature verification failed"). */
const IDENTITY_REPLIES: Record<IdentityError, Reply> = {
  'publickey not found or invalid': writeError(400, 'publickey not found or invalid', 'invalid-publickey'),
  'key size not allowed': writeError(400, 'key size not allowed', 'key-size'),
  'signature not found or invalid': writeError(400, 'signature not found or invalid', 'invalid-signature'),
  'publickey does not match addr': writeError(401, 'publickey does not match addr', 'addr-mismatch'),
  'signature verification failed': writeError(401, 'signature verification failed', 'bad-signature'),
};

/**
 * The name server's logic: one handler per route, over a registry. Registrations and removals
 * run one at a time behind a write lock, so "first come, first served" holds across concurrent
 * requests, and each answers only after its write is durable.
 */
export class NameService {
  readonly counters: Counters = createCounters();
  readonly #registry: Registry;
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  readonly #limiter;
  readonly #isAdmin: ((authorization: string | undefined) => boolean) | undefined;
  #writeTail: Promise<void> = Promise.resolve();
  #pending = 0;
  #storageFailed = false;
  #gate: RegistrationGate | undefined;

  constructor(registry: Registry, options: ResolvedOptions, clock: Clock) {
    this.#registry = registry;
    this.#options = options;
    this.#clock = clock;
    this.#limiter = createRateLimiter(options.registrationsPerWindow, options.rateWindowMs, options.maxTrackedClients);
    this.#isAdmin = options.adminToken === undefined ? undefined : createBearerCheck(options.adminToken);
  }

  get pending(): number {
    return this.#pending;
  }

  get trackedClients(): number {
    return this.#limiter.tracked();
  }

  /** Rate-limit entries pushed out to make room for new clients. */
  get rateLimitEvictions(): number {
    return this.#limiter.evicted();
  }

  /** True once a storage write has failed (cleared by the next successful one). */
  get storageFailed(): boolean {
    return this.#storageFailed;
  }

  /** Installs the replication gate and hands out the registry access it works with. */
  attachReplication(gate: RegistrationGate): RegistryAccess {
    this.#gate = gate;
    const registry = this.#registry;
    const writer = {
      get: (name: string) => registry.getByName(name),
      nameOf: (addr: string) => registry.getNameByAddr(addr),
      insert: (records: readonly NameRecord[]) => this.#write(() => registry.insert(records)),
      remove: (name: string) => this.#write(() => registry.remove(name)),
      count: () => registry.count(),
    };
    return {
      get: writer.get,
      nameOf: writer.nameOf,
      list: () => registry.list(),
      count: writer.count,
      maxNames: this.#options.maxNames,
      exclusive: (fn) => this.#exclusive(() => fn(writer)),
      verify: (record) => checkIdentity(record, this.#options).ok,
    };
  }

  tick(): void {
    this.#limiter.prune(this.#clock.now());
  }

  async lookupName(name: string): Promise<Reply> {
    this.counters.lookupsByName += 1;
    const record = await this.#registry.getByName(name);
    if (record === undefined) return this.#notFound(lookupError(404, 'name not registered'));
    this.counters.found += 1;
    // Field order as in the reference server's answers; publickey/signature let clients verify.
    return {
      status: 200,
      body: { name: record.name, addr: `0x${record.addr}`, publickey: record.publickey, signature: record.signature },
    };
  }

  async nameField(name: string, field: NameField): Promise<Reply> {
    const record = await this.#registry.getByName(name);
    if (record === undefined) return this.#notFound(lookupError(404, 'name not registered'));
    this.counters.found += 1;
    const value = field === 'owner' ? `0x${record.owner}` : record[field];
    return { status: 200, body: { name: record.name, [field]: value } };
  }

  async lookupAddr(addr: string): Promise<Reply> {
    this.counters.lookupsByAddr += 1;
    const name = await this.#registry.getNameByAddr(addr);
    if (name === undefined) return this.#notFound(lookupError(404, 'address not registered'));
    this.counters.found += 1;
    return { status: 200, body: { name } };
  }

  /** Called before the body is read, so that refused clients cost nothing more. */
  admitRegistration(client: string): Reply | undefined {
    if (!this.#limiter.allow(client, this.#clock.now())) {
      this.counters.rateLimited += 1;
      // 503 rather than 429: jamid reads every 4xx but 400/401 as "name already taken".
      return {
        status: 503,
        body: { success: false, error: 'too many registrations, retry later' },
        retryAfterSeconds: Math.ceil(this.#options.rateWindowMs / 1000),
      };
    }
    if (this.#pending >= this.#options.maxPendingRegistrations) return writeError(503, 'busy, retry later', 'busy');
    return undefined;
  }

  async register(name: string, body: Uint8Array): Promise<Reply> {
    const request = decodeRegistration(body);
    if (!request.ok) {
      const [reason, error] = DECODE_REPLIES[request.error];
      return writeError(400, error, reason);
    }
    const identity = checkIdentity({ name, ...request.value }, this.#options);
    if (!identity.ok) return IDENTITY_REPLIES[identity.error];
    const { addr, owner, publickey, signature } = request.value;

    // Sending the record to the other boxes is awaited after the lock is released: a box that
    // receives it takes its own lock, which may be waiting on ours.
    let published: Promise<void> | void | undefined;
    const reply = await this.#exclusive(async (): Promise<Reply> => {
      const existing = await this.#registry.getByName(name);
      if (existing !== undefined) {
        if (existing.addr !== addr) return writeError(409, 'name already taken', 'name-taken');
        this.counters.reregistered += 1;
        return SUCCESS;
      }
      const owned = await this.#registry.getNameByAddr(addr);
      if (owned !== undefined) {
        // One name per address: a Jami account has a single registered name, and clients cache
        // addr → name forever, so a second name could never be shown anyway.
        return { status: 403, body: { success: false, name: owned, addr: `0x${addr}` }, reason: 'addr-has-name' };
      }
      if (this.#registry.count() >= this.#options.maxNames) return writeError(507, 'registry full', 'registry-full');
      let record: NameRecord = { name, addr, owner, publickey, signature, registeredAt: this.#clock.now() };
      if (this.#gate !== undefined) {
        // Other boxes are asked before the acknowledgement; a refusal means the name is taken there.
        const verdict = await this.#gate.admit(record);
        if (!verdict.ok) return writeError(409, 'name already taken', 'name-taken');
        record = { ...record, origin: verdict.origin, confirmed: verdict.confirmed };
      }
      await this.#write(() => this.#registry.insert([record]));
      this.counters.registered += 1;
      published = this.#gate?.registered(record);
      return SUCCESS;
    });
    await published;
    return reply;
  }

  /** `DELETE /name/<name>` with `Authorization: Bearer <adminToken>`. */
  async removeByAdmin(name: string, authorization: string | undefined): Promise<Reply> {
    if (this.#isAdmin === undefined) return writeError(403, 'removal over HTTP is disabled', 'admin-disabled');
    if (!this.#isAdmin(authorization)) return writeError(401, 'unauthorized', 'unauthorized');
    return (await this.removeName(name)) ? SUCCESS : lookupError(404, 'name not registered', 'not-found');
  }

  async removeName(name: string): Promise<boolean> {
    const canonical = normalizeName(name);
    if (!canonical.ok) return false;
    return this.#exclusive(async () => {
      const removed = await this.#write(() => this.#registry.remove(canonical.value));
      if (removed === undefined) return false;
      this.counters.removed += 1;
      this.#gate?.removed(removed);
      return true;
    });
  }

  async exportNames(): Promise<NameExport> {
    const names: NameRecord[] = [];
    for await (const record of this.#registry.list()) names.push(record);
    return encodeExport(names, this.#clock.now());
  }

  async importNames(input: unknown): Promise<ImportResult> {
    const decoded = decodeExport(input);
    if (!decoded.ok) throw new TypeError('not a lanbox name server export');
    let invalid = decoded.value.malformed;
    const verified = decoded.value.records.filter((record) => {
      const valid = checkIdentity(record, this.#options).ok;
      if (!valid) invalid += 1;
      return valid;
    });

    return this.#exclusive(async () => {
      const batch: NameRecord[] = [];
      const batchNames = new Map<string, string>();
      const batchAddrs = new Set<string>();
      const conflicts: string[] = [];
      let unchanged = 0;
      let overLimit = 0;
      for (const record of verified) {
        const sameName = (await this.#registry.getByName(record.name))?.addr ?? batchNames.get(record.name);
        if (sameName === record.addr) {
          unchanged += 1;
          continue;
        }
        if (sameName !== undefined || batchAddrs.has(record.addr) || (await this.#registry.getNameByAddr(record.addr)) !== undefined) {
          conflicts.push(record.name);
          continue;
        }
        if (this.#registry.count() + batch.length >= this.#options.maxNames) {
          overLimit += 1;
          continue;
        }
        batch.push(record);
        batchNames.set(record.name, record.addr);
        batchAddrs.add(record.addr);
      }
      await this.#write(() => this.#registry.insert(batch));
      this.counters.imported += batch.length;
      this.#gate?.imported(batch);
      return { imported: batch.length, unchanged, conflicts, invalid, overLimit };
    });
  }

  /** Waits until every queued write has finished. */
  async drain(): Promise<void> {
    await this.#exclusive(async () => undefined);
  }

  #notFound(reply: Reply): Reply {
    this.counters.notFound += 1;
    return reply;
  }

  async #write<T>(op: () => Promise<T>): Promise<T> {
    try {
      const result = await op();
      this.#storageFailed = false;
      return result;
    } catch (error) {
      this.#storageFailed = true;
      throw error;
    }
  }

  /** Runs `fn` alone, after every queued write (the operator's repair of the store). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#exclusive(fn);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending += 1;
    const run = this.#writeTail.then(fn).finally(() => {
      this.#pending -= 1;
    });
    this.#writeTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
