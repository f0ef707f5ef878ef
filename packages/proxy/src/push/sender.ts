/**
 * Outgoing push requests (to UnifiedPush endpoints and the gorush gateway): bounded in time,
 * in concurrency and in how much of the answer is read. The full URL is used, port included
 * (OpenDHT 2.4 dropped the port; 4.x keeps it).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: 16, maxTotalSockets: 64, maxFreeSockets: 4, timeout: 30_000 }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 16, maxTotalSockets: 64, maxFreeSockets: 4, timeout: 30_000 }),
  };
  return (req) =>
    new Promise<number>((resolve) => {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        resolve(0);
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
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
        agent: url.protocol === 'https:' ? agents['https:'] : agents['http:'],
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
}
