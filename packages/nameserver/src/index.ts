/**
 * @lanbox/nameserver: the Jami name server protocol (`GET /name/<name>`, `GET /addr/<addr>`,
 * `POST /name/<name>`) for an offline LAN, with first-come-first-served names that only the
 * owner of a Jami ID's key can register, stored durably in level.
 */
export { createNameServer } from './nameserver.js';
export type { NameServer, NameServerComponents, NameServerStatus } from './nameserver.js';
export { DEFAULT_OPTIONS } from './options.js';
export type { NameServerOptions } from './options.js';
export type { Clock, ImportResult } from './logic/name-service.js';
export type { Logger } from './logger.js';
export type { RecentName, Registry, StoreHealth, DamageSummary } from './registry/registry.js';
export { RECENT_NAMES, StorageUnavailableError } from './registry/registry.js';
export { createDurableRegistry, durableRegistryIn } from './registry/durable-registry.js';
export type { DurableRegistry, DurableRegistryOptions } from './registry/durable-registry.js';
export type { BackupInfo } from './registry/backup.js';
export { openLevelStore, StoreLockedError, StoreUnavailableError, isNoSpace } from './registry/level-store.js';
export type { DamageReport, LevelStoreOptions, OpenedStore, StringLevel } from './registry/level-store.js';
export { createLevelRegistry } from './registry/level-registry.js';
export type { NameDatabase } from './registry/level-registry.js';
export type { NameRecord } from './codec/record.js';
export { EXPORT_FORMAT, EXPORT_VERSION } from './codec/export-file.js';
export type { NameExport } from './codec/export-file.js';
export { REJECT_REASONS } from './stats.js';
export type { RejectReason } from './stats.js';
export { checkLookupAnswer } from './identity.js';
export type { LookupVerdict } from './identity.js';
export { createBearerCheck } from './transport/bearer.js';
export { readBody } from './transport/body.js';
export { clientGroup } from './codec/client-group.js';
export type { GateVerdict, RegistrationGate, RegistryAccess, RegistryWriter } from './replica.js';
