/** Outcome of a decoder: decoders never throw on bad input, they return an error value. */
export type Result<T, E = DecodeError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Why a datagram or a service entry was rejected. `code` is stable; `detail` is for logs. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly detail: string;
}

export type DecodeErrorCode =
  /** Not valid msgpack (truncated, reserved byte 0xc1, trailing bytes, too deep). */
  | 'malformed'
  /** Valid msgpack, but neither the query string nor a service map. */
  | 'unexpected-type'
  /** A string other than the query `"q"`. */
  | 'unknown-string'
  /** A service entry whose value does not have the expected shape. */
  | 'invalid-service';

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail(code: DecodeErrorCode, detail: string): Result<never> {
  return { ok: false, error: { code, detail } };
}
