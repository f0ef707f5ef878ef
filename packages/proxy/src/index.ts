/**
 * @lanbox/proxy — the OpenDHT proxy server (the REST API Jami on phones uses instead of running
 * a DHT node), as a client of the box's own DHT node, with push to UnifiedPush endpoints and a
 * gorush gateway. This file is the package's whole public API.
 */
export { createDhtProxy } from './proxy.js';
export type { DhtProxy, ProxyStatus } from './proxy.js';
export { DEFAULTS } from './options.js';
export type { ProxyOptions, ProxyComponents, ProxyDht, ProxyDb, Logger } from './options.js';
export type { PushTransport, PushRequest, HttpPushOptions } from './push/sender.js';
export { createHttpPushTransport } from './push/sender.js';
export { encryptWebPush, parseWebPushTopic } from './push/ece.js';
export type { WebPushKeys } from './push/ece.js';
export { keyFromParam } from './codec/key.js';
export { parseJson, writeJson, JsonNumber } from './codec/json.js';
export type { JsonIn, JsonOut } from './codec/json.js';
export { valueFromJson, valueToJsonObject, valueLine } from './codec/value-json.js';
export { parseSubscribeBody } from './codec/push.js';
export type { SubscribeBody, Platform } from './codec/push.js';
export type { Result } from './codec/result.js';
