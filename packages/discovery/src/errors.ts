export type DiscoveryErrorCode =
  /** An option is out of range; `message` lists every bad field. */
  | 'INVALID_OPTIONS'
  /** Neither the IPv4 nor the IPv6 socket could be bound. */
  | 'BIND_FAILED'
  /** `start()` called twice. */
  | 'ALREADY_STARTED';

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';

  constructor(
    readonly code: DiscoveryErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
