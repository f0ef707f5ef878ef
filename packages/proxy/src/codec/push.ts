/**
 * Push subscriptions as clients send them (SUBSCRIBE / UNSUBSCRIBE / pingPush bodies) and the
 * notifications the proxy sends: the data map the phone's Jami hands to its daemon, wrapped for
 * a gorush gateway (android, ios) or posted as is to a UnifiedPush endpoint.
 */
import { isObject, parseJson, type JsonOut } from './json.js';
import { fail, ok, type Result } from './result.js';

export type Platform = 'android' | 'ios' | 'unifiedpush' | 'none';

export interface SubscribeBody {
  /** Push token: an FCM/APNs token, or the UnifiedPush endpoint URL. */
  token: string;
  clientId: string;
  sessionId: string;
  platform: Platform;
  /** iOS topic, or `"<p256dh>|<auth>"` for encrypted UnifiedPush. */
  topic: string;
  refresh: boolean;
}

export function platformOf(s: string): Platform {
  return s === 'android' || s === 'ios' || s === 'unifiedpush' ? s : 'none';
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `bad-json` → 400 Incorrect JSON; `no-token` → 400 No token (SUBSCRIBE) or 501 (UNSUBSCRIBE). */
export function parseSubscribeBody(body: string): Result<SubscribeBody> {
  const parsed = parseJson(body);
  if (!parsed.ok || !isObject(parsed.value)) return fail('bad-json');
  const j = parsed.value;
  const token = text(j.key);
  if (token === '') return fail('no-token');
  return ok({
    token,
    clientId: text(j.client_id),
    sessionId: text(j.session_id),
    platform: platformOf(text(j.platform)),
    topic: text(j.topic),
    refresh: j.refresh === true,
  });
}

/** The data map of a value notification (OpenDHT 4.x fields; 2.4 clients ignore `ids`/`pt`). */
export function valueNotification(
  key: string,
  clientId: string,
  sessionId: string,
  nowMs: number,
  ids: bigint[],
  pushTypes: string[],
  expired: boolean,
): Record<string, JsonOut> {
  const data: Record<string, JsonOut> = {
    key,
    to: clientId,
    t: nowMs,
    s: sessionId,
    ids: ids.join(','),
    pt: pushTypes.join(','),
  };
  if (expired) data.exp = ids.join(',');
  return data;
}

/** Sent 22 h after a (re)subscription or permanent put: the client must renew it. */
export function timeoutNotification(key: string, clientId: string, sessionId: string, valueId?: bigint): Record<string, JsonOut> {
  const data: Record<string, JsonOut> = { timeout: key, to: clientId, s: sessionId };
  if (valueId !== undefined) data.vid = valueId.toString();
  return data;
}

const PUSH_TTL_S = 86_400;

/**
 * A gorush request body for one token. Android carries both the 2.4 (`priority`,
 * `time_to_live`) and the 4.x (`android{}`) fields so old and new gorush read it.
 */
export function gorushBody(platform: 'android' | 'ios', token: string, topic: string, data: Record<string, JsonOut>, high: boolean, nowMs: number): JsonOut {
  const priority = high ? 'high' : 'normal';
  if (platform === 'android') {
    return {
      notifications: [{ data, platform: 2, priority, time_to_live: PUSH_TTL_S, android: { priority, ttl: `${PUSH_TTL_S}s` }, tokens: [token] }],
    };
  }
  const n: Record<string, JsonOut> = {
    data,
    expiration: Math.floor(nowMs / 1000) + PUSH_TTL_S,
    platform: 1,
    priority,
    tokens: [token],
  };
  if (topic !== '') n.topic = topic;
  if (high) {
    n.alert = { title: 'hello' };
    n.mutable_content = true;
    n.push_type = 'alert';
  } else {
    n.content_available = true;
    n.push_type = 'background';
  }
  return { notifications: [n] };
}
