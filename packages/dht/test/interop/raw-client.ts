/**
 * A minimal hand-driven OpenDHT client for interop tests: one UDP socket, requests encoded with
 * our codec exactly as a 2.4 node sends them (values ≥ 600 B as a sizes header followed by value
 * parts), replies matched by transaction id with a bounded wait.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import {
  decodeMessage,
  encodeMessage,
  fragmentValues,
  needsFragmentation,
  type ErrorBody,
  type Message,
  type Reply,
  type Request,
  type Value,
} from '../../src/codec/index.js';
import { withTimeout } from './harness.js';

export class RawClient {
  readonly id = randomBytes(20);
  private nextTid = 0x2000 + Math.floor(Math.random() * 0xffff);

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
    private readonly port: number,
  ) {}

  static async open(host: string, port: number): Promise<RawClient> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket({ type, ipv6Only: type === 'udp6' });
    await new Promise<void>((resolve) => socket.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => resolve()));
    return new RawClient(socket, host, port);
  }

  /**
   * Sends a request (fragmenting large put values) and waits at most `ms` for its reply or error;
   * `bytes` is the answer datagram as received.
   */
  request(request: Request, ms = 3000): Promise<{ reply?: Reply; error?: ErrorBody; bytes: Uint8Array }> {
    const tid = this.nextTid++;
    const envelope = { tid, userAgent: 'RNG1', networkId: 0, client: false } as const;
    const datagrams: Uint8Array[] = [];
    if (request.type === 'put' && request.values.kind === 'inline' && needsFragmentation(request.values.values)) {
      const { sizes, parts } = fragmentValues(request.values.values);
      datagrams.push(encodeMessage({ ...envelope, kind: 'request', request: { ...request, values: { kind: 'fragmented', sizes } } }));
      for (const part of parts) datagrams.push(encodeMessage({ tid, networkId: 0, client: false, kind: 'value-part', parts: [part] }));
    } else {
      datagrams.push(encodeMessage({ ...envelope, kind: 'request', request }));
    }
    const answer = new Promise<{ reply?: Reply; error?: ErrorBody; bytes: Uint8Array }>((resolve) => {
      const onMessage = (bytes: Buffer): void => {
        const d = decodeMessage(bytes);
        if (!d.ok || d.value.tid !== tid) return;
        const m: Message = d.value;
        if (m.kind === 'reply') resolve({ reply: m.reply, bytes });
        else if (m.kind === 'error') resolve({ error: m.error, bytes });
        else return;
        this.socket.off('message', onMessage);
      };
      this.socket.on('message', onMessage);
    });
    // In order, header first: 2.4 storers drop parts that arrive before their header.
    for (const d of datagrams) this.socket.send(d, this.port, this.host);
    return withTimeout(answer, ms, `${request.type} reply from ${this.host}:${this.port}`);
  }

  /** get for the write token, then put `value` at `key`; resolves with the put reply. */
  async put(key: Uint8Array, value: Value): Promise<Reply> {
    const got = await this.request({ type: 'get', id: this.id, key });
    if (!got.reply?.token) throw new Error(`no token: ${JSON.stringify(got.error)}`);
    const put = await this.request({ type: 'put', id: this.id, key, token: got.reply.token, values: { kind: 'inline', values: [value] } });
    if (!put.reply) throw new Error(`put refused: ${JSON.stringify(put.error)}`);
    return put.reply;
  }

  close(): void {
    this.socket.close();
  }
}
