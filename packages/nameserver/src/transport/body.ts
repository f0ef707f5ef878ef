import type { IncomingMessage } from 'node:http';
import { err, ok, type Result } from '../codec/result.js';

/** Reads a request body, giving up as soon as it exceeds `maxBytes` (declared or actual). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Result<Buffer, 'too large' | 'aborted'>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > maxBytes) return Promise.resolve(err('too large'));
  // Events that already fired will not fire again: a consumed body reads as empty, a dead request as aborted.
  if (req.destroyed) return Promise.resolve(err('aborted'));
  if (req.readableEnded) return Promise.resolve(ok(Buffer.alloc(0)));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: Result<Buffer, 'too large' | 'aborted'>): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish(err('too large'));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(ok(Buffer.concat(chunks, size)));
    const onAbort = (): void => finish(err('aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}
