/**
 * An in-memory LAN for tests: one broadcast segment per family, datagrams queued until the test
 * calls `deliver()`, so tests decide when traffic flows and never sleep. Group sends also reach
 * the sender (multicast loopback is on by default on real sockets too).
 */
import type { Datagram, DiscoveryTransport, Family, FamilySocketOptions, LocalInterface, TransportHandlers } from './types.js';

/** Undelivered datagrams beyond this are dropped (a runaway test must not eat memory). */
const MAX_QUEUED = 10_000;

export interface SentDatagram {
  readonly family: Family;
  readonly from: { readonly address: string; readonly port: number };
  readonly to: { readonly address: string; readonly port: number };
  readonly data: Uint8Array;
  /** Interface named by a group send. */
  readonly via?: string;
}

export interface MemoryLan {
  /** A transport for a host with these addresses; a family without an address fails to open. */
  transport(addresses: { readonly 4?: string; readonly 6?: string }): DiscoveryTransport;
  /** Delivers queued datagrams (including those sent while delivering), at most `max`. */
  deliver(max?: number): number;
  /** Every datagram sent on the LAN, in order. */
  readonly sent: SentDatagram[];
}

interface Endpoint {
  readonly address: string;
  readonly options: FamilySocketOptions;
  readonly handlers: TransportHandlers;
  readonly joined: Set<string>;
}

export function createMemoryLan(): MemoryLan {
  const endpoints = new Map<Family, Set<Endpoint>>([
    [4, new Set()],
    [6, new Set()],
  ]);
  const queue: SentDatagram[] = [];
  const sent: SentDatagram[] = [];

  function post(d: SentDatagram): void {
    sent.push(d);
    if (queue.length < MAX_QUEUED) queue.push(d);
  }

  function dispatch(d: SentDatagram): void {
    for (const ep of endpoints.get(d.family) ?? []) {
      if (ep.options.port !== d.to.port) continue;
      const isGroup = d.to.address === ep.options.group && ep.joined.size > 0;
      if (!isGroup && d.to.address !== ep.address) continue;
      const datagram: Datagram = { family: d.family, data: d.data.slice(), address: d.from.address, port: d.from.port };
      ep.handlers.onDatagram(datagram);
    }
  }

  return {
    sent,
    deliver(max = 1000) {
      let n = 0;
      while (n < max) {
        const d = queue.shift();
        if (!d) break;
        dispatch(d);
        n++;
      }
      return n;
    },
    transport(addresses) {
      const mine = new Map<Family, Endpoint>();
      const get = (family: Family): Endpoint => {
        const ep = mine.get(family);
        if (!ep) throw new Error(`IPv${family} socket is not open`);
        return ep;
      };
      return {
        async open(family, options, handlers) {
          const address = addresses[family];
          if (address === undefined) throw new Error(`no IPv${family} on this host`);
          if (mine.has(family)) throw new Error(`IPv${family} socket already open`);
          const ep: Endpoint = { address, options, handlers, joined: new Set() };
          mine.set(family, ep);
          endpoints.get(family)?.add(ep);
        },
        join(family, iface: LocalInterface) {
          const ep = get(family);
          if (ep.joined.has(iface.name)) throw new Error(`already joined on ${iface.name}`);
          ep.joined.add(iface.name);
        },
        leave(family, iface: LocalInterface) {
          if (!get(family).joined.delete(iface.name)) throw new Error(`not joined on ${iface.name}`);
        },
        sendToGroup(family, data, iface) {
          const ep = get(family);
          const to = { address: ep.options.group, port: ep.options.port };
          post({ family, from: { address: ep.address, port: ep.options.port }, to, data: data.slice(), via: iface.name });
        },
        sendTo(family, data, address, port) {
          const ep = get(family);
          post({ family, from: { address: ep.address, port: ep.options.port }, to: { address, port }, data: data.slice() });
        },
        async close(family) {
          for (const f of family === undefined ? ([4, 6] as const) : [family]) {
            const ep = mine.get(f);
            if (!ep) continue;
            mine.delete(f);
            endpoints.get(f)?.delete(ep);
          }
        },
      };
    },
  };
}
