/** Fixed value of bytes 4..7 of every RFC 5389 message; also the key for XOR addresses. */
export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_LENGTH = 20;
export const TRANSACTION_ID_LENGTH = 12;
/** XORed into the CRC-32 so a FINGERPRINT cannot be confused with other protocols' CRCs (RFC 5389 §15.5). */
export const FINGERPRINT_XOR = 0x5354554e;

/** STUN/TURN methods (RFC 5389, RFC 5766, RFC 6062). */
export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
  Connect: 0x00a,
  ConnectionBind: 0x00b,
  ConnectionAttempt: 0x00c,
} as const;

export type MessageClass = 'request' | 'indication' | 'success' | 'error';

/** Attribute types used by the probe (RFC 5389 §18.2, RFC 5766 §14, RFC 6062 §6.2). */
export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
  ConnectionId: 0x002a,
  Software: 0x8022,
  Fingerprint: 0x8028,
} as const;

/** IANA protocol numbers carried in REQUESTED-TRANSPORT. */
export const Transport = { UDP: 17, TCP: 6 } as const;

/** Decoder bounds: a STUN message over UDP cannot exceed 64 KiB and real ones carry a handful of attributes. */
export const MAX_MESSAGE_LENGTH = 0xffff + HEADER_LENGTH;
export const MAX_ATTRIBUTES = 64;
