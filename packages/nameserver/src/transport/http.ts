import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeRoute, type Route, type RouteError } from '../codec/route.js';
import type { NameService } from '../logic/name-service.js';
import { lookupError, writeError, type Reply } from '../logic/reply.js';
import type { Logger } from '../logger.js';
import { readBody } from './body.js';
import { StorageUnavailableError } from '../registry/registry.js';

export interface HttpHandlerConfig {
  readonly pathPrefix: string;
  readonly maxBodyBytes: number;
  readonly isOpen: () => boolean;
  readonly logger: Logger | undefined;
}

/** Whether a reply to this request must close the connection (its body was left unread). */
interface Outcome {
  readonly reply: Reply;
  readonly close?: boolean;
}

function routeErrorReply(error: RouteError, method: string): Reply {
  const write = method !== 'GET';
  switch (error) {
    case 'invalid name':
      return write ? writeError(400, 'invalid name', 'invalid-name') : lookupError(400, 'invalid name', 'invalid-name');
    case 'invalid address':
      return lookupError(400, 'invalid address', 'invalid-address');
    case 'method not allowed':
      return writeError(405, 'method not allowed', 'method-not-allowed');
    case 'not found':
      return lookupError(404, 'not found', 'not-found');
  }
}

async function serve(service: NameService, route: Route, req: IncomingMessage, maxBodyBytes: number): Promise<Outcome> {
  switch (route.kind) {
    case 'lookup-name':
      return { reply: await service.lookupName(route.name) };
    case 'name-field':
      return { reply: await service.nameField(route.name, route.field) };
    case 'lookup-addr':
      return { reply: await service.lookupAddr(route.addr) };
    case 'remove':
      return { reply: await service.removeByAdmin(route.name, req.headers.authorization) };
    case 'register': {
      const refused = service.admitRegistration(req.socket.remoteAddress ?? 'unknown');
      if (refused !== undefined) return { reply: refused, close: true };
      const body = await readBody(req, maxBodyBytes);
      if (!body.ok) return { reply: writeError(413, 'request too large', 'body-too-large'), close: true };
      return { reply: await service.register(route.name, body.value) };
    }
  }
}

function send(res: ServerResponse, outcome: Outcome): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(outcome.reply.body);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  };
  if (outcome.reply.retryAfterSeconds !== undefined) headers['Retry-After'] = outcome.reply.retryAfterSeconds;
  if (outcome.close === true) {
    headers['Connection'] = 'close';
    // Whatever is left of an unread body is not worth reading.
    res.once('finish', () => res.req.destroy());
  }
  res.writeHead(outcome.reply.status, headers);
  res.end(text);
}

/** Adapts the name service to node:http; resolves false for paths that are not the name server's. */
export function createHttpHandler(service: NameService, config: HttpHandlerConfig) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const method = req.method ?? '';
    const route = decodeRoute(method, req.url ?? '', config.pathPrefix);
    if (route === undefined) return false;
    let outcome: Outcome;
    if (!config.isOpen()) {
      outcome = { reply: lookupError(503, 'name server not running', 'not-open') };
    } else if (!route.ok) {
      outcome = { reply: routeErrorReply(route.error, method) };
    } else {
      try {
        outcome = await serve(service, route.value, req, config.maxBodyBytes);
      } catch (error) {
        config.logger?.error({ err: error, url: req.url }, 'name server request failed');
        // 503 with Retry-After: jamid shows any 5xx as a failure to retry, never as "name taken".
        outcome =
          error instanceof StorageUnavailableError
            ? { reply: { ...writeError(503, 'storage unavailable, retry later', 'storage-error'), retryAfterSeconds: 10 } }
            : { reply: lookupError(500, 'server error', 'storage-error') };
      }
    }
    const reason = outcome.reply.reason;
    if (reason !== undefined) service.counters.rejected[reason] += 1;
    send(res, outcome);
    return true;
  };
}
