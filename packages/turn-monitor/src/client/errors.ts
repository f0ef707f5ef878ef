/** Why a request did not produce a usable answer. */
export type FailureKind = 'timeout' | 'error-response' | 'protocol' | 'network';

/** A failed STUN/TURN exchange; `code` is the ERROR-CODE when the server answered with one. */
export class TurnRequestError extends Error {
  override readonly name = 'TurnRequestError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly code?: number,
  ) {
    super(code === undefined ? message : `${code} ${message}`);
  }
}
