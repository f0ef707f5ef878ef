/**
 * How /metrics derives names and types from a status document: checked on the shapes the
 * services report (including the DHT proxy's and push service's, as their packages define them),
 * so a service wired in later comes out with stable names and the right types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMetrics } from '../src/web/metrics.js';

const types = (text: string) => Object.fromEntries([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => [m[1], m[2]]));

test('names follow the JSON path, with units; types follow the rules', async () => {
  const text = await renderMetrics({
    appliance: { version: '1.2.3', profile: 'box', pid: 42, ready: true, uptimeSeconds: 5, startedAt: '2026-01-01T00:00:00Z' },
    proxy: {
      state: 'ok',
      summary: 'fine',
      port: 8080,
      clients: 3,
      subscriptions: { total: 2, unifiedpush: 1 },
      requests: { total: 10, get: 4 },
      pushes: { sent: 5, failed: 1, refused: 2, inFlight: 1 },
      dht: { lastOkMs: 1_700_000_000_000 },
      slowStreamsDropped: 0,
    },
    push: { state: 'ok', summary: 'fine', url: 'http://10.0.0.1:8080', topics: 1, published: 7, delivered: 6, cachedBytes: 100 },
    turn: {
      state: 'down',
      summary: 'x',
      servers: [
        {
          url: 'turn://u@h:3478',
          lastCheckedAt: 1_700_000_000_000,
          history: { ok: 1, degraded: 2, down: 3, windowMs: 86_400_000, recent: [{ at: 1, state: 'ok' }] },
        },
      ],
    },
    clients: { turn: { username: 'ring', password: 'secret' } },
  });
  const t = types(text);
  assert.equal(t.lanbox_appliance_ready, 'gauge');
  assert.equal(t.lanbox_appliance_uptime_seconds, 'gauge');
  assert.equal(t.lanbox_appliance_pid, undefined, 'identifiers are not metrics');
  assert.equal(t.lanbox_proxy_port, undefined);
  assert.equal(t.lanbox_proxy_clients, 'gauge');
  assert.equal(t.lanbox_proxy_subscriptions_unifiedpush, 'gauge');
  assert.equal(t.lanbox_proxy_subscriptions_all, 'gauge', 'a gauge named total becomes _all');
  assert.equal(t.lanbox_proxy_requests_total, 'counter');
  assert.equal(t.lanbox_proxy_requests_get_total, 'counter');
  assert.equal(t.lanbox_proxy_pushes_sent_total, 'counter');
  assert.equal(t.lanbox_proxy_pushes_refused_total, 'counter');
  assert.equal(t.lanbox_proxy_pushes_in_flight, 'gauge');
  assert.equal(t.lanbox_proxy_slow_streams_dropped_total, 'counter');
  assert.equal(t.lanbox_proxy_dht_last_ok_seconds, 'gauge');
  assert.equal(t.lanbox_push_published_total, 'counter');
  assert.equal(t.lanbox_push_delivered_total, 'counter');
  assert.equal(t.lanbox_push_cached_bytes, 'gauge');
  assert.equal(t.lanbox_turn_servers_history_degraded, 'gauge', 'window counts go down too');
  assert.equal(t.lanbox_turn_servers_history_window_seconds, 'gauge');
  assert.match(text, /^lanbox_turn_servers_history_window_seconds\{url="turn:\/\/u@h:3478"\} 86400$/m);
  assert.match(text, /^lanbox_turn_servers_last_checked_timestamp_seconds\{url="turn:\/\/u@h:3478"\} 1700000000$/m);
  assert.match(text, /^lanbox_service_state\{service="turn",state="down"\} 1$/m);
  assert.match(text, /^lanbox_service_state\{service="push",state="ok"\} 1$/m);
  assert.match(text, /^lanbox_info\{version="1.2.3",profile="box"\} 1$/m);
  assert.ok(!text.includes('secret'), 'client settings are not exported');
  for (const name of Object.keys(t)) assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
});

test('odd documents: deep nesting, non-finite numbers, clashing names and huge arrays stay bounded', async () => {
  let deep: Record<string, unknown> = { n: 1 };
  for (let i = 0; i < 50; i++) deep = { d: deep };
  const text = await renderMetrics({
    deep,
    a: { bad: Number.NaN, inf: Infinity, neg: { counters: { x: -1 } } },
    clash: { fooBar: 1, foo_bar: 2 },
    many: { servers: Array.from({ length: 1000 }, (_, i) => ({ url: `u${i}`, v: i })) },
  });
  assert.ok(!/lanbox_deep/.test(text), 'nesting past 8 levels is cut');
  assert.ok(!/lanbox_a_bad|lanbox_a_inf/.test(text));
  assert.equal([...text.matchAll(/^lanbox_clash_foo_bar /gm)].length, 1);
  assert.equal([...text.matchAll(/^lanbox_many_servers_v\{/gm)].length, 64);
});
