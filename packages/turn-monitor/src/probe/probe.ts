import type { ScheduledTask, Scheduler } from '@lanbox/clock';
import type { TransportAddress } from '../codec/address.js';
import { Attr, Method, Transport } from '../codec/constants.js';
import { findAttribute, type DecodedMessage } from '../codec/message.js';
import { readUint32, readXorAddress } from '../codec/attributes.js';
import { TurnRequestError } from '../client/errors.js';
import { TransactionLayer, type TransactionOptions, type TransactionStats } from '../client/transactions.js';
import { TurnClient, type Credentials } from '../client/turn-client.js';
import type { ChannelFactory, Endpoint, TcpStunChannel } from '../transport/channel.js';
import { classify, worst, type HealthState, type ProbeFailure, type StepName } from './classify.js';
import type { EchoPeer, TcpEchoPeer } from './echo-peers.js';

export interface ProbeTarget extends Endpoint, Credentials {}

export interface ProbeSettings extends TransactionOptions {
  /** How long to wait for a relayed echo or an RFC 6062 connection. */
  relayTimeoutMs: number;
  /** TCP connect timeout towards the server. */
  connectTimeoutMs: number;
  /** Where the echo peers bind: an address the server may relay to. */
  peerAddress: string;
}

export interface ProbeDeps {
  /** Milliseconds; fractional values give sub-millisecond step times. */
  now(): number;
  scheduler: Scheduler;
  randomBytes(n: number): Uint8Array;
  channels: ChannelFactory;
  startUdpPeer(host: string): Promise<EchoPeer>;
  startTcpPeer(host: string): Promise<TcpEchoPeer>;
}

export interface ProbeResult {
  readonly state: HealthState;
  /** Round-trip time of each step that passed, in ms. */
  readonly steps: Partial<Record<StepName, number>>;
  /** The failure that decided `state` (undefined when ok). */
  readonly failure?: ProbeFailure;
  /** Every failure of this cycle (the UDP and TCP parts run independently). */
  readonly failures: readonly ProbeFailure[];
  readonly realm?: string;
  readonly software?: string;
  readonly relayed?: string;
  readonly lifetime?: number;
  readonly staleNonceRetries: number;
  /** Message counters over every connection of this cycle. */
  readonly transactions: TransactionStats;
}

function sumStats(all: readonly TransactionStats[]): TransactionStats {
  const total: TransactionStats = { sent: 0, retransmits: 0, received: 0, malformed: 0, unmatched: 0 };
  for (const s of all) for (const k of Object.keys(total) as (keyof TransactionStats)[]) total[k] += s[k];
  return total;
}

class StepFailed extends Error {
  constructor(readonly failure: ProbeFailure) {
    super(failure.reason);
  }
}

function failureOf(step: StepName, e: unknown): ProbeFailure {
  if (e instanceof StepFailed) return e.failure;
  if (e instanceof TurnRequestError) {
    return e.code === undefined ? { step, kind: e.kind, reason: e.message } : { step, kind: e.kind, code: e.code, reason: e.message };
  }
  return { step, kind: 'network', reason: e instanceof Error ? e.message : String(e) };
}

/**
 * One probe cycle against one server: the TCP part, which is what Jami checks (TCP control
 * connection, 401 challenge, RFC 6062 TCP allocation, Connect and ConnectionAttempt to a TCP echo
 * peer, Refresh 0), then the UDP part (Binding, 401 challenge, Allocate, CreatePermission, relayed
 * echo, Refresh 0). Never throws; every socket it opens is closed before it resolves.
 */
export async function runProbe(target: ProbeTarget, settings: ProbeSettings, deps: ProbeDeps): Promise<ProbeResult> {
  const run = new ProbeRun(target, settings, deps);
  return run.execute();
}

class ProbeRun {
  readonly steps: Partial<Record<StepName, number>> = {};
  readonly failures: ProbeFailure[] = [];
  /** Closers of the part in progress, run in reverse when it ends. */
  cleanups: (() => Promise<void> | void)[] = [];
  realm: string | undefined;
  software: string | undefined;
  relayed: string | undefined;
  lifetime: number | undefined;
  staleNonceRetries = 0;
  readonly layers: TransactionLayer[] = [];

  constructor(
    readonly target: ProbeTarget,
    readonly settings: ProbeSettings,
    readonly deps: ProbeDeps,
  ) {}

  async execute(): Promise<ProbeResult> {
    // TCP first: it is Jami's own check, and coturn frees a TCP allocation when its control
    // connection closes (on a busy machine a moment later, so a user quota of 1 can still refuse
    // the UDP part once), whereas a Refresh(0)'d UDP allocation lingers until coturn's next 1 s
    // timer and would count against a tight user quota during the other part.
    await this.#part('tcp-connect', () => this.#tcpPart());
    await this.#part('binding', () => this.#udpPart());
    let state: HealthState = 'ok';
    let decisive: ProbeFailure | undefined;
    for (const f of this.failures) {
      const s = classify(f);
      if (decisive === undefined || worst(state, s) !== state) decisive = f;
      state = worst(state, s);
    }
    return {
      state,
      steps: this.steps,
      ...(decisive ? { failure: decisive } : {}),
      failures: this.failures,
      ...(this.realm !== undefined ? { realm: this.realm } : {}),
      ...(this.software !== undefined ? { software: this.software } : {}),
      ...(this.relayed !== undefined ? { relayed: this.relayed } : {}),
      ...(this.lifetime !== undefined ? { lifetime: this.lifetime } : {}),
      staleNonceRetries: this.staleNonceRetries,
      transactions: sumStats(this.layers.map((l) => l.stats)),
    };
  }

  /** Runs one part; every socket it opened is closed before the next part starts. */
  async #part(first: StepName, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (e) {
      this.failures.push(failureOf(first, e));
    } finally {
      for (const c of this.cleanups.reverse()) {
        try {
          await c();
        } catch {
          // Best effort: a socket that is already gone needs no closing.
        }
      }
      this.cleanups = [];
    }
  }

  /** Runs one step, recording its time; a failure ends the current part. */
  async #step<T>(name: StepName, body: () => Promise<T>): Promise<T> {
    const started = this.deps.now();
    try {
      const value = await body();
      this.steps[name] = Math.round((this.deps.now() - started) * 1000) / 1000;
      return value;
    } catch (e) {
      throw new StepFailed(failureOf(name, e));
    }
  }

  #client(tx: TransactionLayer): TurnClient {
    this.layers.push(tx);
    return new TurnClient(tx, { username: this.target.username, password: this.target.password });
  }

  #finish(client: TurnClient): void {
    this.realm = client.realm ?? this.realm;
    this.software = client.software ?? this.software;
    this.staleNonceRetries += client.staleNonceRetries;
  }

  async #udpPart(): Promise<void> {
    const channel = await this.deps.channels.openUdp(this.target);
    this.cleanups.push(() => channel.close());
    const client = this.#client(new TransactionLayer(channel, this.settings, this.deps.scheduler, this.deps.randomBytes));
    try {
      await this.#step('binding', () => client.binding());
      await this.#step('allocate-challenge', () => client.challenge(Transport.UDP));
      const allocation = await this.#step('allocate', () => client.allocate(Transport.UDP));
      this.relayed = `${allocation.relayed.address}:${allocation.relayed.port}`;
      this.lifetime = allocation.lifetime;
      let freed = false;
      // Free the allocation even when a later step fails, so failed probes never eat the quota.
      this.cleanups.push(async () => {
        if (!freed) await client.refresh(0);
      });
      // The peer's own socket setup counts towards this step: it is sub-millisecond and local.
      const peer = await this.#step('permission', async () => {
        const p = await this.deps.startUdpPeer(this.settings.peerAddress);
        this.cleanups.push(() => p.close());
        p.allowFrom(allocation.relayed.address);
        await client.createPermission(p.address);
        return p;
      });
      await this.#step('relay', () => this.#relayEcho(client, peer.address));
      await this.#step('refresh0', () => client.refresh(0));
      freed = true;
    } finally {
      this.#finish(client);
    }
  }

  /** Send indication to the echo peer; resolves on the Data indication carrying the same bytes. */
  #relayEcho(client: TurnClient, peer: TransportAddress): Promise<void> {
    const payload = this.deps.randomBytes(32);
    const { scheduler } = this.deps;
    return new Promise<void>((resolve, reject) => {
      const handles: ScheduledTask[] = [];
      const done = (e?: Error): void => {
        for (const h of handles) h.cancel();
        client.tx.onIndication(() => undefined);
        if (e) reject(e);
        else resolve();
      };
      client.tx.onIndication((m: DecodedMessage) => {
        if (m.method !== Method.Data) return;
        const data = findAttribute(m, Attr.Data);
        const from = readXorAddress(m, Attr.XorPeerAddress);
        if (data && from.ok && from.value.port === peer.port && Buffer.from(data).equals(payload)) done();
      });
      // Indications are not retransmitted by the transaction layer; resend on the same doubling schedule.
      const resend = (delay: number, elapsed: number): void => {
        client.send(peer, payload);
        if (elapsed + delay < this.settings.relayTimeoutMs) {
          handles.push(scheduler.schedule(delay, () => resend(delay * 2, elapsed + delay)));
        }
      };
      resend(this.settings.rtoMs, 0);
      handles.push(
        scheduler.schedule(this.settings.relayTimeoutMs, () =>
          done(new TurnRequestError('timeout', `relayed echo not back within ${this.settings.relayTimeoutMs} ms`)),
        ),
      );
    });
  }

  async #tcpPart(): Promise<void> {
    const channel = await this.#step('tcp-connect', () => this.deps.channels.openTcp(this.target, this.settings.connectTimeoutMs));
    this.cleanups.push(() => channel.close());
    const client = this.#client(new TransactionLayer(channel, this.settings, this.deps.scheduler, this.deps.randomBytes));
    try {
      await this.#step('tcp-challenge', () => client.challenge(Transport.TCP));
      const allocation = await this.#step('tcp-allocate', () => client.allocate(Transport.TCP));
      let freed = false;
      this.cleanups.push(async () => {
        if (!freed) await client.refresh(0);
      });
      const peer = await this.#step('tcp-permission', async () => {
        const p = await this.deps.startTcpPeer(this.settings.peerAddress);
        this.cleanups.push(() => p.close());
        p.allowFrom(allocation.relayed.address);
        await client.createPermission(p.address);
        return p;
      });

      // Active: the server connects to our peer on our behalf (Connect), we bind a data connection.
      const connectionId = await this.#step('tcp-peer-connect', () => client.connect(peer.address));
      await this.#step('tcp-peer-data', () => this.#bindAndEcho(client, connectionId));

      // Passive: our peer connects to the relayed address; the server announces it (ConnectionAttempt).
      await this.#step('tcp-peer-accept', async () => {
        const attempt = this.#nextConnectionAttempt(client);
        await peer.dial(allocation.relayed, this.settings.relayTimeoutMs);
        await this.#bindAndEcho(client, await attempt);
      });
      await this.#step('tcp-refresh0', () => client.refresh(0));
      freed = true;
    } finally {
      this.#finish(client);
    }
  }

  #nextConnectionAttempt(client: TurnClient): Promise<number> {
    const { scheduler } = this.deps;
    return new Promise<number>((resolve, reject) => {
      const timer = scheduler.schedule(this.settings.relayTimeoutMs, () => {
        client.tx.onIndication(() => undefined);
        reject(new TurnRequestError('timeout', `no ConnectionAttempt within ${this.settings.relayTimeoutMs} ms`));
      });
      client.tx.onIndication((m) => {
        if (m.method !== Method.ConnectionAttempt) return;
        const id = readUint32(m, Attr.ConnectionId);
        if (id === undefined) return;
        timer.cancel();
        client.tx.onIndication(() => undefined);
        resolve(id);
      });
    });
  }

  /** Opens a data connection, ConnectionBind(id), then a payload must come back from the echo peer. */
  async #bindAndEcho(control: TurnClient, connectionId: number): Promise<void> {
    const channel: TcpStunChannel = await this.deps.channels.openTcp(this.target, this.settings.connectTimeoutMs);
    this.cleanups.push(() => channel.close());
    const data = this.#client(new TransactionLayer(channel, this.settings, this.deps.scheduler, this.deps.randomBytes));
    data.adoptChallenge(control);
    try {
      await data.connectionBind(connectionId);
    } finally {
      this.staleNonceRetries += data.staleNonceRetries;
    }
    const payload = this.deps.randomBytes(64);
    const { scheduler } = this.deps;
    await new Promise<void>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const timer = scheduler.schedule(this.settings.relayTimeoutMs, () =>
        reject(new TurnRequestError('timeout', `TCP relayed echo not back within ${this.settings.relayTimeoutMs} ms`)),
      );
      channel.onClose((reason) => {
        timer.cancel();
        reject(new TurnRequestError('network', `data connection: ${reason}`));
      });
      channel.switchToRaw((bytes) => {
        chunks.push(Buffer.from(bytes));
        length += bytes.length;
        if (length < payload.length) return;
        timer.cancel();
        if (Buffer.concat(chunks).subarray(0, payload.length).equals(payload)) resolve();
        else reject(new TurnRequestError('protocol', 'TCP relayed echo came back altered'));
      });
      channel.send(payload);
    });
  }
}
