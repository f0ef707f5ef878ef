/**
 * Operator routes on the web port, enabled only when an admin token is configured:
 * `GET /api/names/export` (backup of the name registry) and `POST /api/names/import` (restore).
 * Name removal is the name server's own `DELETE /name/<name>` with the same token.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NameServerService } from '../services/nameserver.js';
import type { RouteHandler } from './server.js';

/** An export of 100 000 names is ~60 MB; imports are read whole, so they are bounded. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

// Hashing first makes the comparison constant-time whatever the lengths.
const digest = (s: string) => createHash('sha256').update(s).digest();

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer (.+)$/.exec(header);
  return m !== null && timingSafeEqual(digest(m[1] ?? ''), digest(token));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createAdminRoute(token: string, nameserver: NameServerService): RouteHandler {
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/names/export' && path !== '/api/names/import') return false;
    if (!authorized(req, token)) {
      json(res, 401, { error: 'missing or wrong "Authorization: Bearer" token' });
      return true;
    }
    const server = nameserver.server;
    if (server === null) {
      json(res, 503, { error: 'name server not running' });
      return true;
    }
    if (path === '/api/names/export' && req.method === 'GET') {
      json(res, 200, await server.exportNames());
      return true;
    }
    if (path === '/api/names/import' && req.method === 'POST') {
      const body = await readBody(req, MAX_IMPORT_BYTES);
      if (body === null) {
        json(res, 413, { error: 'import too large' });
        return true;
      }
      try {
        json(res, 200, await server.importNames(body));
      } catch (err) {
        json(res, 400, { error: err instanceof Error ? err.message : 'not an export' });
      }
      return true;
    }
    json(res, 405, { error: 'method not allowed' });
    return true;
  };
}
