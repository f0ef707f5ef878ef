import type { Scheduler } from '@lanbox/clock';
import type { Family } from '../codec/types.js';
import type { DatagramHandler, Transport } from './transport.js';
import { seededRandom } from '../seeded-random.js';

export interface MemoryNetworkOptions {
  /** Delivers datagrams after `latencyMs`; a manual clock keeps tests free of real timers. */
  scheduler: Scheduler;
  /** One-way delay of every datagram. @default 1 */
  latencyMs?: number;
  /** Probability in [0, 1) that a datagram is lost. @default 0 */
  lossRate?: number;
  /** Uniform random numbers in [0, 1) for loss; default a fixed-seed generator (reproducible runs). */
  random?: () => number;
}

export interface MemoryEndpointOptions {
  /** IPv4 address; default 10.0.x.y from a counter; `null` = no IPv4. */
  address4?: string | null;
  /** IPv6 address; default fd00::x from the same counter; `null` = no IPv6. */
  address6?: string | null;
  /** Port for both families. @default 4222 */
  port?: number;
}

export interface MemoryNetwork {
  /** A transport attached to this network (bind() makes it reachable). */
  createTransport(options?: MemoryEndpointOptions): Transport & { address(family: Family): string | null };
  setLossRate(rate: number): void;
  /** Datagrams delivered and lost so far. */
  stats(): { delivered: number; lost: number; undeliverable: number };
}

/** An in-process datagram network for multi-node tests: addressed endpoints, optional loss and latency. */
export function createMemoryNetwork(options: MemoryNetworkOptions): MemoryNetwork {
  const { scheduler } = options;
  const latencyMs = options.latencyMs ?? 1;
  let lossRate = options.lossRate ?? 0;
  const random = options.random ?? seededRandom(0x5eed);
  const endpoints = new Map<string, DatagramHandler>();
  let counter = 0;
  let delivered = 0;
  let lost = 0;
  let undeliverable = 0;

  const key = (family: Family, address: string, port: number): string => `${family}|${address}|${port}`;

  return {
    createTransport(endpointOptions = {}) {
      counter++;
      const address4 = endpointOptions.address4 === undefined ? `10.0.${counter >> 8}.${counter & 255}` : endpointOptions.address4;
      const address6 = endpointOptions.address6 === undefined ? `fd00::${counter.toString(16)}` : endpointOptions.address6;
      const port = endpointOptions.port ?? 4222;
      let handler: DatagramHandler = () => {};
      let bound = false;
      let sendErrors = 0;
      const own = (family: Family): string | null => (family === 4 ? address4 : address6);
      return {
        async bind() {
          for (const family of [4, 6] as const) {
            const address = own(family);
            if (address === null) continue;
            const k = key(family, address, port);
            if (endpoints.has(k)) throw new Error(`address in use: ${k}`);
            endpoints.set(k, (f, a, p, b) => handler(f, a, p, b));
          }
          bound = true;
        },
        async close() {
          for (const family of [4, 6] as const) {
            const address = own(family);
            if (address !== null) endpoints.delete(key(family, address, port));
          }
          bound = false;
        },
        sendLent(family, address, port, bytes) {
          // send() copies what it delivers: nothing lent is kept.
          this.send(family, address, port, bytes);
          return false;
        },
        send(family, address, port, bytes) {
          const from = own(family);
          if (!bound || from === null) {
            sendErrors++;
            return;
          }
          if (lossRate > 0 && random() < lossRate) {
            lost++;
            return;
          }
          const copy = Uint8Array.from(bytes);
          const destination = key(family, address, port);
          scheduler.schedule(latencyMs, () => {
            const target = endpoints.get(destination);
            if (!target) {
              undeliverable++;
              return;
            }
            delivered++;
            target(family, from, endpointOptions.port ?? 4222, copy);
          });
        },
        onDatagram(cb) {
          handler = cb;
        },
        localPort(family) {
          return bound && own(family) !== null ? port : null;
        },
        address: own,
        sendErrors: () => sendErrors,
      };
    },
    setLossRate(rate) {
      lossRate = rate;
    },
    stats: () => ({ delivered, lost, undeliverable }),
  };
}
