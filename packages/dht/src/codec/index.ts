/**
 * The DHT codec: OpenDHT datagrams ↔ typed messages, values, node lists, value parts, ids and
 * signatures. Pure functions (plus the bounded {@link Reassembler}); decoders never throw.
 */

export * from './types.js';
export { decodeMessage, MAX_VALUE_PACKED_SIZE } from './decode.js';
export { encodeMessage } from './encode.js';
export { decodeValue, encodeValue, encodeValueBodyToSign, makeValue, valueSize } from './value.js';
export { decodeNodeList, encodeNodeList, NODE4_RECORD, NODE6_RECORD } from './nodes.js';
export {
  fragmentValues,
  needsFragmentation,
  packedSize,
  Reassembler,
  PART_SIZE,
  INLINE_MAX_BYTES,
  INLINE_MAX_VALUES,
  type ReassemblerOptions,
  type ReassemblerStats,
  type ReassemblyResult,
} from './fragment.js';
export {
  HASH_LENGTH,
  infoHashFromHex,
  toHex,
  sha1,
  xorCompare,
  commonBits,
  randomId,
  randomIdWithPrefix,
  infoHashEquals,
  isZeroId,
  getBit,
} from './infohash.js';
export { addressFromBytes, addressToBytes } from './address.js';
export {
  CERTIFICATE_TYPE,
  certificateFromValue,
  certificateKeyIds,
  publicKeyId,
  publicKeyLongId,
  publicKeyLongIdHash,
  verifyValueSignature,
} from './signature.js';
