/**
 * pino's error serializer with the error's type taken from its own `name` where it has one.
 *
 * Why: pino logs `type` as the error's constructor name, and the bundle is minified without
 * esbuild's `keepNames` (build.mjs), so a class such as `StoreLockedError` is called something
 * like `Ub` at run time. Every error class of lanbox sets its own `name`, so that is what `type`
 * shows, as it did when names were kept. Errors without an own `name` (Node's, plain `Error`s)
 * keep pino's `type`: their constructors are not in the bundle, so their names are intact.
 */
import { stdSerializers } from 'pino';

export function serializeError(err: unknown): unknown {
  const out: unknown = stdSerializers.err(err as Error);
  if (!(err instanceof Error) || out === err || typeof out !== 'object' || out === null) return out;
  const own = Object.getOwnPropertyDescriptor(err, 'name');
  if (own !== undefined && typeof own.value === 'string') (out as { type: string }).type = own.value;
  return out;
}

/** The `serializers` option every pino logger of the appliance gets. */
export const logSerializers = { err: serializeError };
