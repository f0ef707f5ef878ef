/**
 * Our requests awaiting an answer (§4.2, §14.4): matched by tid (and the replier's id), resent with
 * the same bytes up to 3 times (waits ≈1, 2, 4 s plus jitter), then timed out. One table and a
 * deadline heap replace per-request timers.
 */
import type { Family } from '../codec/types.js';
import type { Peer } from '../routing/peer.js';

export const MAX_SENDS = 3;
const FIRST_WAIT_MS = 1000;
const JITTER_MS = 250;

export interface Transaction {
  readonly tid: number;
  readonly family: Family;
  readonly address: string;
  readonly port: number;
  /** The node asked; null for a ping to an address whose id we do not know yet (bootstrap). */
  peer: Peer | null;
  /** Main datagram then value parts, resent together. */
  readonly datagrams: Uint8Array[];
  readonly startedAt: number;
  sends: number;
  wait: number;
  deadline: number;
  done: boolean;
  /** Called once with the outcome. */
  readonly settle: (outcome: TransactionOutcome) => void;
  /** Called at each retransmission: the node is slow (searches stop waiting for it). */
  readonly onResend?: () => void;
}

export type TransactionOutcome<R = unknown> =
  /** `nodes`: the reply's node records of the request's family, as routing records. */
  | { kind: 'reply'; reply: R; from: { family: Family; address: string; port: number }; nodes: Peer[] }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'timeout' };

interface HeapEntry {
  deadline: number;
  txn: Transaction;
}

export class TransactionTable {
  private readonly byTid = new Map<number, Transaction>();
  private readonly heap: HeapEntry[] = [];

  constructor(private readonly random: () => number) {}

  get size(): number {
    return this.byTid.size;
  }

  has(tid: number): boolean {
    return this.byTid.has(tid);
  }

  get(tid: number): Transaction | undefined {
    return this.byTid.get(tid);
  }

  /** Register a transaction just sent for the first time. */
  add(init: Omit<Transaction, 'sends' | 'wait' | 'deadline' | 'done' | 'startedAt'>, now: number): Transaction {
    const wait = FIRST_WAIT_MS + Math.floor(this.random() * JITTER_MS);
    const txn: Transaction = { ...init, startedAt: now, sends: 1, wait, deadline: now + wait, done: false };
    this.byTid.set(txn.tid, txn);
    this.push({ deadline: txn.deadline, txn });
    if (txn.peer) txn.peer.pending++;
    return txn;
  }

  /** Remove and return the transaction an answer refers to. */
  finish(txn: Transaction): void {
    if (txn.done) return;
    txn.done = true;
    this.byTid.delete(txn.tid);
    if (txn.peer) txn.peer.pending--;
  }

  /** Earliest pending deadline, or null. */
  nextDeadline(): number | null {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (!top.txn.done && top.txn.deadline === top.deadline) return top.deadline;
      this.pop();
    }
    return null;
  }

  /**
   * Process deadlines up to `now`: `resend` is called for transactions to transmit again, and the
   * ones out of attempts are finished and returned (the caller settles them as timeouts).
   */
  expireDue(now: number, resend: (txn: Transaction) => void): Transaction[] {
    const timedOut: Transaction[] = [];
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.txn.done || top.txn.deadline !== top.deadline) {
        this.pop();
        continue;
      }
      if (top.deadline > now) break;
      this.pop();
      const txn = top.txn;
      if (txn.sends >= MAX_SENDS) {
        this.finish(txn);
        timedOut.push(txn);
        continue;
      }
      txn.sends++;
      txn.wait = txn.wait * 2 + Math.floor(this.random() * JITTER_MS);
      txn.deadline = now + txn.wait;
      this.push({ deadline: txn.deadline, txn });
      resend(txn);
    }
    return timedOut;
  }

  /** Every open transaction (stop() settles them). */
  drain(): Transaction[] {
    const all = [...this.byTid.values()];
    for (const txn of all) this.finish(txn);
    this.heap.length = 0;
    return all;
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.deadline <= entry.deadline) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && heap[r]!.deadline < heap[l]!.deadline ? r : l;
      if (heap[c]!.deadline >= last.deadline) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}
