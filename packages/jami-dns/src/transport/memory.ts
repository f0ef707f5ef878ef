/** An in-process transport for tests and the README: datagrams are handed over by method calls. */
import type { DnsTransport, DnsTransportHandlers, Endpoint } from './types.js';

export interface MemoryTransport extends DnsTransport {
  /** Delivers a datagram to the server port as if `from` had sent it. */
  query(bytes: Uint8Array, from: Endpoint): void;
  /** Delivers a datagram to the forwarding socket as if `from` had sent it. */
  upstream(bytes: Uint8Array, from: Endpoint): void;
  /** Everything sent so far (cleared by `take()`). */
  readonly sent: Array<{ kind: 'reply' | 'forward'; bytes: Uint8Array; to: Endpoint }>;
  take(): Array<{ kind: 'reply' | 'forward'; bytes: Uint8Array; to: Endpoint }>;
}

export function createMemoryTransport(port = 53): MemoryTransport {
  let handlers: DnsTransportHandlers | null = null;
  const sent: MemoryTransport['sent'] = [];
  return {
    sent,
    async start(h) {
      handlers = h;
      return { udp4: true, udp6: true, port };
    },
    async stop() {
      handlers = null;
    },
    reply(bytes, to) {
      sent.push({ kind: 'reply', bytes, to });
    },
    forward(bytes, to) {
      sent.push({ kind: 'forward', bytes, to });
    },
    query(bytes, from) {
      handlers?.query(bytes, from);
    },
    upstream(bytes, from) {
      handlers?.upstream(bytes, from);
    },
    take() {
      return sent.splice(0, sent.length);
    },
  };
}
