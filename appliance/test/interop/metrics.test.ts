/**
 * /metrics: Prometheus' own `promtool check metrics` (Debian's prometheus package) accepts the
 * exposition without a single lint; every number of /api/status is there; counters move when
 * real traffic arrives (HTTP lookups on the name server, a real OpenDHT `dhtnode` joining).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';

const PROMTOOL = '/usr/bin/promtool';
let app: RunningAppliance;
let data: { path: string; remove: () => Promise<void> };
const procs: ChildProcess[] = [];

before(async () => {
  assert.ok(existsSync(PROMTOOL), `${PROMTOOL} is missing: apt-get install prometheus (scripts/install-test-deps.sh does)`);
  data = await tempDir();
  app = await startAppliance({ dataDir: data.path });
});

after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await app?.stop();
  await data?.remove();
});

async function scrape(): Promise<{ text: string; type: string | null }> {
  const r = await fetch(`${app.base}/metrics`);
  assert.equal(r.status, 200);
  return { text: await r.text(), type: r.headers.get('content-type') };
}

/** The value of one series (exact name and label text), or undefined. */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('promtool check metrics accepts the exposition, and it has every service, counter and gauge', async () => {
  const { text, type } = await scrape();
  assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
  const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30000 });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'no lint findings');

  // Every metric has help text and a type.
  const names = [...text.matchAll(/^# TYPE (\S+) (counter|gauge)$/gm)].map((m) => m[1]);
  for (const n of names) assert.match(text, new RegExp(`^# HELP ${n} \\S`, 'm'), `help for ${n}`);
  assert.ok(names.length > 80, `${names.length} metrics`);

  for (const service of ['dht', 'discovery', 'nameserver', 'push', 'proxy', 'turn', 'dns']) {
    const states = ['ok', 'degraded', 'down', 'disabled'].map((s) => value(text, `lanbox_service_state{service="${service}",state="${s}"}`));
    assert.deepEqual(states.slice().sort(), [0, 0, 0, 1], `${service}: one current state`);
  }
  assert.equal(value(text, 'lanbox_service_state{service="proxy",state="ok"}'), 1);
  assert.match(text, /^# TYPE lanbox_proxy_pushes_refused_total counter$/m);
  // Units in the names; counters end in _total.
  assert.match(text, /^# TYPE lanbox_appliance_rss_bytes gauge$/m);
  assert.match(text, /^# TYPE lanbox_appliance_uptime_seconds gauge$/m);
  assert.match(text, /^# TYPE lanbox_dht_counters_received_total counter$/m);
  assert.match(text, /^# TYPE lanbox_nameserver_rejected_name_taken_total counter$/m);
  assert.match(text, /^# TYPE lanbox_nameserver_registrations_pending gauge$/m);
  assert.match(text, /^lanbox_turn_servers_history_checks\{url="turn:\/\/ring@127\.0\.0\.1:\d+"\} \d+$/m, 'TURN per server, password not in the label');

  // Generic: every number of /api/status outside `clients` and identifiers has a series.
  const status = (await (await fetch(`${app.base}/api/status`)).json()) as Record<string, unknown>;
  const counters = status.nameserver as { rejected: Record<string, number> };
  for (const reason of Object.keys(counters.rejected)) {
    assert.ok(text.includes(`lanbox_nameserver_rejected_${reason.replace(/-/g, '_')}_total `), `rejected ${reason}`);
  }
});

test('counters move when traffic arrives: name lookups, web requests, a real dhtnode joining', async () => {
  const before = (await scrape()).text;
  const lookups0 = value(before, 'lanbox_nameserver_lookups_by_name_total') ?? NaN;
  const requests0 = value(before, 'lanbox_appliance_web_requests_total') ?? NaN;
  const received0 = value(before, 'lanbox_dht_counters_received_total') ?? NaN;
  const dhtRequests = (t: string) =>
    (value(t, 'lanbox_dht_counters_requests_in_ping_total') ?? NaN) + (value(t, 'lanbox_dht_counters_requests_in_find_total') ?? NaN);
  const requestsIn0 = dhtRequests(before);
  for (const name of ['nobody-here', 'alice', 'bob']) {
    const r = await fetch(`${app.base}/name/${name}`);
    assert.equal(r.status, 404);
    await r.body?.cancel();
  }
  // A real OpenDHT node (Debian's dhtnode 2.4) bootstraps from the box: pings and finds arrive.
  const node = spawn('dhtnode', ['-p', '0', '-b', `127.0.0.1:${app.dhtPort}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  procs.push(node);
  const after = await waitFor(
    'DHT traffic counted in /metrics',
    async () => {
      const t = (await scrape()).text;
      return (value(t, 'lanbox_dht_counters_received_total') ?? 0) > received0 ? t : undefined;
    },
    30000,
  );
  node.stdin?.end(); // dhtnode quits at the end of its input
  assert.equal(value(after, 'lanbox_nameserver_lookups_by_name_total'), lookups0 + 3);
  assert.equal(value(after, 'lanbox_nameserver_lookups_not_found_total'), (value(before, 'lanbox_nameserver_lookups_not_found_total') ?? NaN) + 3);
  assert.ok((value(after, 'lanbox_appliance_web_requests_total') ?? 0) >= requests0 + 4, 'web requests counted');
  assert.ok(dhtRequests(after) > requestsIn0, 'DHT pings and finds counted');
  assert.ok((value(after, 'lanbox_dht_counters_sent_total') ?? 0) > (value(before, 'lanbox_dht_counters_sent_total') ?? NaN), 'DHT replies counted');
});
