/** How a box talks to another box: JSON requests over HTTP to its web port. */
import { Agent, request } from 'node:http';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface PeerResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface PeerClient {
  /** Resolves with any HTTP answer (the body parsed as JSON, or undefined); rejects on network errors and timeouts. */
  request(to: PeerAddress, method: 'GET' | 'POST', path: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<PeerResponse>;
  close(): void;
}

/** The node:http client: keep-alive connections, at most `maxSockets` per peer, answers read up to `maxResponseBytes`. */
export function createHttpClient(options: { maxSockets?: number; maxResponseBytes?: number } = {}): PeerClient {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 4 });
  const maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  return {
    request(to, method, path, body, headers, timeoutMs) {
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        // IPv6 link-local addresses keep their scope (`fe80::1%eth0`): node:http passes it to connect().
        const req = request(
          {
            host: to.host,
            port: to.port,
            method,
            path,
            agent,
            headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) {
                req.destroy(new Error('answer too large'));
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () => {
              let parsed: unknown;
              try {
                parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                parsed = undefined;
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
            res.on('error', reject);
          },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
