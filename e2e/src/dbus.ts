/**
 * A D-Bus connection to one private bus (one per Jami device), through dbus-next's message-level
 * API: method calls with explicit signatures (no introspection round trips), and every signal
 * of jamid recorded with its arrival time, so a test can wait for an event that may already have
 * arrived (no subscribe-then-act race).
 */
import dbus from 'dbus-next';
import { waitFor } from './wait.js';

const { Message, MessageType, sessionBus } = dbus;

export interface SignalRecord {
  /** Index in the record list; pass `since` to only see later ones. */
  readonly index: number;
  /** Date.now() at arrival. */
  readonly at: number;
  readonly interface: string;
  readonly member: string;
  readonly body: readonly unknown[];
}

export interface BusClient {
  call(destination: string, path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]>;
  /** Every signal received so far (from senders matched by `watch`). */
  readonly signals: readonly SignalRecord[];
  /** Index the next signal will get: take it before acting, wait with `since` after. */
  mark(): number;
  /**
   * Resolves with the first signal (at index >= since) named `member` whose body satisfies
   * `match`. Bounded by `timeoutMs`.
   */
  waitSignal(
    member: string,
    match: (body: readonly unknown[]) => boolean,
    options: { since?: number; timeoutMs: number; what?: string },
  ): Promise<SignalRecord>;
  /** Subscribes to every signal of this interface (AddMatch on the bus). */
  watch(iface: string): Promise<void>;
  /** Is this well-known name owned on the bus? */
  nameHasOwner(name: string): Promise<boolean>;
  disconnect(): void;
}

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus' };

/**
 * Connects to the bus at `address` (e.g. "unix:path=/tmp/x/bus"). A connection made while the
 * daemon is still starting can stay silent forever (its first call never answered, no error), so
 * each attempt has a short deadline and a fresh connection is tried again, 5 attempts at most.
 */
export async function connectBus(address: string): Promise<BusClient> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await connectOnce(address, 3000);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

async function connectOnce(address: string, timeoutMs: number): Promise<BusClient> {
  const bus = sessionBus({ busAddress: address, authMethods: ['EXTERNAL'] });
  const signals: SignalRecord[] = [];
  const listeners = new Set<() => void>();
  // Signals are kept for the whole run; jamid's signal rate in a test is a few hundred at most.
  const MAX_SIGNALS = 100_000;
  bus.on('message', (msg) => {
    if (msg.type !== MessageType.SIGNAL || signals.length >= MAX_SIGNALS) return;
    signals.push({ index: signals.length, at: Date.now(), interface: msg.interface, member: msg.member, body: msg.body });
    for (const l of listeners) l();
  });
  let failure: Error | undefined;
  bus.on('error', (e: Error) => {
    failure = e;
  });
  const call = async (destination: string, path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> => {
    if (failure) throw failure;
    const reply = await bus.call(new Message({ destination, path, interface: iface, member, signature, body }));
    return reply?.body ?? [];
  };
  // The connection is usable once Hello has been answered; a no-op call proves it.
  try {
    await waitFor(`D-Bus connection to ${address}`, () => call(BUS.destination, BUS.path, BUS.iface, 'GetId', '', []).then(() => true), { timeoutMs });
  } catch (e) {
    bus.disconnect();
    throw e;
  }
  return {
    signals,
    call,
    mark: () => signals.length,
    async watch(iface) {
      await call(BUS.destination, BUS.path, BUS.iface, 'AddMatch', 's', [`type='signal',interface='${iface}'`]);
    },
    async nameHasOwner(name) {
      const [owned] = await call(BUS.destination, BUS.path, BUS.iface, 'NameHasOwner', 's', [name]);
      return owned === true;
    },
    waitSignal(member, match, options) {
      const since = options.since ?? 0;
      return new Promise<SignalRecord>((resolve, reject) => {
        let next = since;
        const check = (): boolean => {
          for (; next < signals.length; next += 1) {
            const s = signals[next]!;
            if (s.member === member && match(s.body)) {
              done();
              resolve(s);
              return true;
            }
          }
          return false;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what ?? `signal ${member}`}`));
        }, options.timeoutMs);
        const listener = (): void => void check();
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        listeners.add(listener);
        check();
      });
    },
    disconnect() {
      bus.disconnect();
    },
  };
}
