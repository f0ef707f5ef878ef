/**
 * Operator routes on the web port, enabled only when an admin token is configured:
 * `GET /api/names/export` (backup of the name registry), `POST /api/names/import` (restore) and
 * `POST /api/storage/repair` (repair the names store and restore from its last backup).
 * Name removal is the name server's own `DELETE /name/<name>` with the same token. The token is
 * checked before any body is read, with the name server's own bearer check and body reader.
 */
import type { ServerResponse } from 'node:http';
import { createBearerCheck, readBody } from '@lanbox/nameserver';
import type { NameServerService } from '../services/nameserver.js';
import type { RouteHandler } from './server.js';

/** An export of 100 000 names is ~60 MB; imports are read whole, so they are bounded. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Paths of the operator routes; the web server allows only these a larger body, and only with the token. */
export const ADMIN_PATHS = ['/api/names/export', '/api/names/import', '/api/storage/repair'] as const;

function json(res: ServerResponse, code: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

export function createAdminRoute(token: string, nameserver: NameServerService): RouteHandler {
  const isOperator = createBearerCheck(token);
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!(ADMIN_PATHS as readonly string[]).includes(path)) return false;
    if (!isOperator(req.headers.authorization)) {
      // Nothing of the body is read: close instead of draining it.
      json(res, 401, { error: 'missing or wrong "Authorization: Bearer" token' }, true);
      res.once('finish', () => req.destroy());
      return true;
    }
    const server = nameserver.server;
    if (server === null) {
      json(res, 503, { error: 'name server not running' }, true);
      return true;
    }
    if (path === '/api/names/export' && req.method === 'GET') {
      json(res, 200, await server.exportNames());
      return true;
    }
    if (path === '/api/names/import' && req.method === 'POST') {
      const body = await readBody(req, MAX_IMPORT_BYTES);
      if (!body.ok) {
        json(res, 413, { error: body.error === 'too large' ? 'import too large' : 'request aborted' }, true);
        return true;
      }
      try {
        json(res, 200, await server.importNames(body.value.toString('utf8')));
      } catch (err) {
        json(res, 400, { error: err instanceof Error ? err.message : 'not an export' });
      }
      return true;
    }
    if (path === '/api/storage/repair' && req.method === 'POST') {
      const health = await server.repair();
      json(res, health === null ? 409 : 200, health === null ? { error: 'the name registry has no store to repair' } : { names: health });
      return true;
    }
    json(res, 405, { error: 'method not allowed' }, true);
    return true;
  };
}
