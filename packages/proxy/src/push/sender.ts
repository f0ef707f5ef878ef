/**
 * Outgoing push requests (to UnifiedPush endpoints and the gorush gateway): bounded in time,
 * in concurrency and in how much of the answer is read. The full URL is used, port included
 * (OpenDHT 2.4 dropped the port; 4.x keeps it).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';

export interface PushRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Resolves with the HTTP status, or 0 when the request failed at the network level or timed out. */
export type PushTransport = (req: PushRequest) => Promise<number>;

export interface HttpPushOptions {
  /** Whole-request deadline. @default 10000 */
  timeoutMs?: number;
  /** Bytes of the answer read before the connection is dropped. @default 65536 */
  maxResponseBytes?: number;
}

export function createHttpPushTransport(options: HttpPushOptions = {}): PushTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  // Connections are kept between pushes (the box's own push service takes most of them); few
  // targets are allowed, and each keeps at most 16 sockets, idle ones closed after 30 s.
  const agentOptions = { keepAlive: true, maxSockets: 16, maxTotalSockets: 64, maxFreeSockets: 4, timeout: 30_000 };
  const http = { request: httpRequest, agent: new HttpAgent(agentOptions) };
  // node:https (and TLS with it) is loaded by the first https:// target, not at start: on an
  // offline LAN the targets are the box's own push service and other plain-http ones.
  let https: Promise<typeof http> | undefined;
  const loadHttps = () => (https ??= import('node:https').then((m) => ({ request: m.request, agent: new m.Agent(agentOptions) })));
  return async (req) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return 0;
    }
    const { request: send, agent } = url.protocol === 'https:' ? await loadHttps() : http;
    return new Promise<number>((resolve) => {
      let settled = false;
      const done = (status: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(status);
      };
      const r = send(url, {
        method: 'POST',
        headers: { ...req.headers, 'Content-Length': String(req.body.length) },
        agent,
      });
      const timer = setTimeout(() => {
        r.destroy();
        done(0);
      }, timeoutMs);
      r.on('error', () => done(0));
      r.on('response', (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > maxResponseBytes) res.destroy();
        });
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('close', () => done(res.statusCode ?? 0));
        res.on('error', () => done(res.statusCode ?? 0));
      });
      r.end(req.body);
    });
  };
}
