/**
 * @lanbox/push — the box's own push service: the ntfy-compatible subset the ntfy Android app
 * needs as a UnifiedPush distributor, so Jami on a phone can be woken with no Internet. This
 * file is the package's whole public API.
 */
export { createPushService, PUSH_DEFAULTS, TOPIC } from './service.js';
export type { PushService, PushServiceOptions, PushServiceComponents, PushServiceStatus } from './service.js';
