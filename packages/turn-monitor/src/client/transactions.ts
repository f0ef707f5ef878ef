import type { ScheduledTask, Scheduler } from '@lanbox/clock';
import { HEADER_LENGTH, TRANSACTION_ID_LENGTH } from '../codec/constants.js';
import { decodeMessage, encodeMessage, type DecodedMessage, type EncodeOptions, type StunMessage } from '../codec/message.js';
import type { StunChannel } from '../transport/channel.js';
import { TurnRequestError } from './errors.js';

export interface TransactionOptions {
  /** First retransmission timeout on UDP; doubles after each send (RFC 5389 §7.2.1). */
  rtoMs: number;
  /** Give up on a request after this long, on UDP and TCP alike. */
  timeoutMs: number;
}

export interface TransactionStats {
  sent: number;
  retransmits: number;
  received: number;
  malformed: number;
  unmatched: number;
}

interface Pending {
  resolve(m: DecodedMessage): void;
  reject(e: Error): void;
  tasks: ScheduledTask[];
}

/**
 * Matches responses to requests by transaction id over one channel. UDP requests are resent with a
 * doubling RTO until `timeoutMs`; TCP is reliable, so a request is sent once (RFC 5389 §7.2.2).
 * Indications are handed to the indication handler.
 */
export class TransactionLayer {
  readonly stats: TransactionStats = { sent: 0, retransmits: 0, received: 0, malformed: 0, unmatched: 0 };
  readonly #pending = new Map<string, Pending>();
  #indication: (m: DecodedMessage) => void = () => undefined;
  #closedReason: string | undefined;

  constructor(
    readonly channel: StunChannel,
    private readonly options: TransactionOptions,
    private readonly scheduler: Scheduler,
    private readonly randomBytes: (n: number) => Uint8Array,
  ) {
    channel.onMessage((bytes) => this.#receive(bytes));
    channel.onClose((reason) => {
      this.#closedReason = reason;
      for (const [id, p] of this.#pending) this.#settle(id, p, () => p.reject(new TurnRequestError('network', reason)));
    });
  }

  newTransactionId(): Uint8Array {
    return this.randomBytes(TRANSACTION_ID_LENGTH).subarray(0, TRANSACTION_ID_LENGTH);
  }

  onIndication(handler: (m: DecodedMessage) => void): void {
    this.#indication = handler;
  }

  /** Resolves with the success or error response; rejects on timeout or when the channel dies. */
  request(message: StunMessage, encode: EncodeOptions): Promise<DecodedMessage> {
    if (this.#closedReason !== undefined) return Promise.reject(new TurnRequestError('network', this.#closedReason));
    const bytes = encodeMessage(message, encode);
    const id = Buffer.from(message.transactionId).toString('hex');
    return new Promise<DecodedMessage>((resolve, reject) => {
      const pending: Pending = { resolve, reject, tasks: [] };
      this.#pending.set(id, pending);
      this.#send(bytes);
      if (this.channel.kind === 'udp') this.#scheduleRetransmit(bytes, this.options.rtoMs, this.options.rtoMs, pending);
      pending.tasks.push(
        this.scheduler.schedule(this.options.timeoutMs, () =>
          this.#settle(id, pending, () => reject(new TurnRequestError('timeout', `no answer within ${this.options.timeoutMs} ms`))),
        ),
      );
    });
  }

  /** Sends an indication (no answer expected). */
  indicate(message: StunMessage): void {
    this.#send(encodeMessage(message, { fingerprint: true }));
  }

  #send(bytes: Uint8Array): void {
    this.stats.sent++;
    this.channel.send(bytes);
  }

  #scheduleRetransmit(bytes: Uint8Array, delay: number, elapsed: number, pending: Pending): void {
    if (elapsed >= this.options.timeoutMs) return;
    pending.tasks.push(
      this.scheduler.schedule(delay, () => {
        this.stats.retransmits++;
        this.#send(bytes);
        this.#scheduleRetransmit(bytes, delay * 2, elapsed + delay * 2, pending);
      }),
    );
  }

  #settle(id: string, pending: Pending, action: () => void): void {
    if (this.#pending.get(id) !== pending) return;
    this.#pending.delete(id);
    for (const t of pending.tasks) t.cancel();
    action();
  }

  #receive(bytes: Uint8Array): void {
    this.stats.received++;
    if (bytes.length < HEADER_LENGTH) {
      this.stats.malformed++;
      return;
    }
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      this.stats.malformed++;
      return;
    }
    const m = decoded.value;
    if (m.cls === 'indication') {
      this.#indication(m);
      return;
    }
    const id = Buffer.from(m.transactionId).toString('hex');
    const pending = this.#pending.get(id);
    if (!pending || m.cls === 'request') {
      this.stats.unmatched++;
      return;
    }
    this.#settle(id, pending, () => pending.resolve(m));
  }
}
