/** HTTP plumbing shared by the routes: headers, bounded body reading, the common answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyContext } from './context.js';

export const CORS = { 'Access-Control-Allow-Origin': '*' };
export const COMMON = { Server: 'lanbox-proxy', 'Content-Type': 'application/json', ...CORS };
export const OPTIONS_HEADERS = {
  ...COMMON,
  'Access-Control-Allow-Methods': 'OPTIONS, GET, POST, LISTEN',
  'Access-Control-Allow-Headers': 'content-type',
  'Access-Control-Max-Age': '86400',
};

export const json = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { ...COMMON, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
};
export const notImplemented = (ctx: ProxyContext, res: ServerResponse) => {
  ctx.counters.requests.notImplemented++;
  res.writeHead(501, { Connection: 'close', 'Content-Length': '0' });
  res.end();
};
export const startChunked = (res: ServerResponse) => {
  res.writeHead(200, COMMON);
  res.flushHeaders();
};

export const readBody = (ctx: ProxyContext, req: IncomingMessage): Promise<string | null> =>
  new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > ctx.o.maxBodyBytes) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > ctx.o.maxBodyBytes) {
        req.removeAllListeners('data');
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
    req.on('close', () => resolve(null));
  });

export const tooLarge = (ctx: ProxyContext, res: ServerResponse) => {
  ctx.counters.refused.bodyTooLarge++;
  res.writeHead(413, { ...COMMON, Connection: 'close', 'Content-Length': 24 });
  res.end('{"err":"Body too large"}');
};

export const cors = (ctx: ProxyContext, res: ServerResponse) => {
  ctx.counters.requests.other++;
  res.writeHead(200, { ...OPTIONS_HEADERS, 'Content-Length': '0' });
  res.end();
};
