/**
 * /metrics: every number of /api/status in the Prometheus text format, built with prom-client.
 * The metrics are derived from the status document itself, so a service that adds numbers to its
 * status gets metrics without touching this file. Names are the JSON path in snake case under
 * `lanbox_` (stable as long as the status fields are), with the unit where the field names one:
 *
 *   dht.counters.received            → lanbox_dht_counters_received_total   (counter)
 *   appliance.rssBytes               → lanbox_appliance_rss_bytes           (gauge)
 *   turn.servers[url=…].history.ok   → lanbox_turn_servers_history_ok{url="…"}
 *   system.load1                     → lanbox_system_load1
 *
 * Rules (what a service author needs to know):
 * - A number is a counter when it sits under an object named like COUNTER_GROUPS (`counters`,
 *   `dropped`, `refused`, `pushes`…), or its name is in COUNTER_LEAVES or in the past tense
 *   (`accepted`, `published`…), unless it is in GAUGE_LEAVES (`pending`, `inFlight`) or under
 *   `history` (window counts); everything else is a gauge. Put monotonically increasing numbers
 *   under `counters` and they come out right.
 * - Names ending in `Bytes`/`Seconds` keep the unit; `…Ms` values become seconds; `…At` and
 *   `lastSeen` numbers (ms since the epoch) become `…_timestamp_seconds`. Booleans are 0/1 gauges.
 * - Arrays of objects that carry a string `url` become one labelled series per element; other
 *   arrays (lists of nearby devices, recent names) are not metrics: their lengths are in the
 *   status already.
 * - Every object with a string `state` and `summary` at the top level is a service:
 *   lanbox_service_state{service, state} is 1 for its current state and 0 for the others.
 * - `clients` (what to type into Jami) and identifiers (pid, ports, network id) are not metrics.
 */
import type { Counter, Gauge } from 'prom-client';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const COUNTER_GROUPS = new Set(['counters', 'dropped', 'rejected', 'refused', 'lookups', 'requests', 'registrations', 'requestsIn', 'reassembly', 'pushes']);
/** Counts over a sliding window, which go down as well as up. */
const GAUGE_GROUPS = new Set(['history']);
/** Counters outside those groups, besides names in the past tense (accepted, dropped, published…). */
const COUNTER_LEAVES = new Set([
  'sent',
  'requests',
  'errors',
  'notFound',
  'tooLarge',
  'polls',
  'keepalives',
  'checks',
  'writes',
  'gets',
  'puts',
  'retransmits',
  'timeouts',
  'probes',
  'rateLimited',
  'internalErrors',
]);
const PAST_TENSE = /[a-z](ed|Sent|Errors)$/;
/** Current amounts whose name or place would otherwise make them counters. */
const GAUGE_LEAVES = new Set(['pending', 'inFlight', 'blacklisted']);
/** Not metrics: settings for clients, identifiers and addresses. */
const SKIP_PATHS = new Set(['clients', 'appliance.pid', 'dht.networkId', 'dht.ports']);
const SKIP_LEAVES = new Set(['port', 'pid']);
const STATES = ['ok', 'degraded', 'down', 'disabled'] as const;

/** Help text for well-known fields; others get a help line naming their place in /api/status. */
const HELP: Record<string, string> = {
  'appliance.uptimeSeconds': 'Time since the appliance process started',
  'appliance.rssBytes': 'Resident memory of the appliance process',
  'appliance.heapUsedBytes': 'JavaScript heap in use by the appliance process',
  'appliance.ready': '1 once every service started and the web port listens',
  'appliance.web.requests': 'HTTP requests received on the web port',
  'appliance.web.notFound': 'HTTP requests answered 404 on the web port',
  'appliance.web.tooLarge': 'HTTP requests refused for a body too large or without length',
  'appliance.web.errors': 'HTTP requests that failed with an internal error',
  'dht.nodes.good': 'DHT nodes in the routing table that answered recently (both families)',
  'dht.nodes.dubious': 'DHT nodes in the routing table not heard from lately (both families)',
  'dht.storage.values': 'Values stored by the DHT node',
  'dht.storage.keys': 'Keys (info hashes) with stored values',
  'dht.storage.bytes': 'Bytes of stored DHT values',
  'dht.storage.listeners': 'Remote listen subscriptions held by the DHT node',
  'dht.counters.received': 'DHT packets received',
  'dht.counters.sent': 'DHT packets sent',
  'dht.dropped.total': 'DHT packets dropped for any reason but rate limiting',
  'discovery.nearbyNodes': 'DHT nodes heard announcing on the LAN and not yet expired',
  'discovery.nearbyAccounts': 'Jami accounts heard announcing on the LAN and not yet expired',
  'nameserver.names': 'Names registered on the name server',
  'nameserver.maxNames': 'Most names the name server accepts',
  'nameserver.lookups.byName': 'Name server lookups by name',
  'nameserver.lookups.byAddr': 'Name server lookups by address',
  'nameserver.registrations.accepted': 'Names registered',
  'turn.counters.checks': 'TURN probe runs',
  'turn.servers.history.checks': 'TURN probe checks of this server in the history window',
  'turn.servers.history.down': 'TURN probe checks of this server that failed in the history window',
  'system.load1': 'Load average over 1 minute',
  'system.memoryAvailableBytes': 'Memory available for new work on the box',
  'system.diskFreeBytes': 'Free space on the file system of the data directory',
  'system.temperatureCelsius': 'Hottest temperature the board reports',
};

interface Sample {
  name: string;
  help: string;
  kind: 'counter' | 'gauge';
  labels: Record<string, string>;
  value: number;
}

const snake = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();

function leafName(path: readonly string[], leaf: string): { segments: string[]; scale: number } {
  const prefix = path.map(snake);
  if (/At$/.test(leaf) || leaf === 'lastSeen') return { segments: [...prefix, snake(leaf.replace(/At$/, '')), 'timestamp_seconds'], scale: 1 / 1000 };
  if (/Ms$/.test(leaf)) return { segments: [...prefix, snake(leaf.slice(0, -2)), 'seconds'], scale: 1 / 1000 };
  return { segments: [...prefix, snake(leaf)], scale: 1 };
}

function collect(doc: Record<string, unknown>): Sample[] {
  const out: Sample[] = [];
  const walk = (value: unknown, path: string[], labels: Record<string, string>, depth: number): void => {
    if (depth > 8 || SKIP_PATHS.has(path.join('.'))) return;
    const leaf = path[path.length - 1] ?? '';
    if (typeof value === 'number' || typeof value === 'boolean') {
      if (SKIP_LEAVES.has(leaf)) return;
      const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      if (!Number.isFinite(v)) return;
      const parents = path.slice(0, -1);
      const counter =
        typeof value === 'number' &&
        !GAUGE_LEAVES.has(leaf) &&
        !parents.some((p) => GAUGE_GROUPS.has(p)) &&
        (parents.some((p) => COUNTER_GROUPS.has(p)) || COUNTER_LEAVES.has(leaf) || PAST_TENSE.test(leaf));
      const { segments, scale } = leafName(parents, leaf);
      // `_total` is the counter suffix; a gauge that counts "all of them" is named `_all`.
      const base = `lanbox_${segments.join('_')}`.replace(/_total$/, counter ? '_total' : '_all');
      const helpKey = path.join('.');
      out.push({
        name: counter && !base.endsWith('_total') ? `${base}_total` : base,
        help: HELP[helpKey] ?? `${helpKey} in /api/status${counter ? ' (only grows while the appliance runs)' : ''}`,
        kind: counter ? 'counter' : 'gauge',
        labels,
        value: v * scale,
      });
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value.slice(0, 64)) {
        if (item !== null && typeof item === 'object' && typeof (item as { url?: unknown }).url === 'string') {
          walk(item, path, { ...labels, url: (item as { url: string }).url }, depth + 1);
        }
      }
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k], labels, depth + 1);
    }
  };
  for (const [k, v] of Object.entries(doc)) walk(v, [k], {}, 0);
  return out;
}

/** The Prometheus text exposition of a status document. */
export async function renderMetrics(doc: Record<string, unknown>): Promise<string> {
  // Loaded on the first scrape, not at start: prom-client's index also loads cluster, http(s)
  // and perf_hooks for features this page never uses (~1 MB of RSS on a box nobody scrapes).
  const { Counter, Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  const byName = new Map<string, { metric: Counter<string> | Gauge<string>; kind: Sample['kind']; labelNames: string }>();
  for (const s of collect(doc)) {
    const labelNames = Object.keys(s.labels).sort().join(',');
    let entry = byName.get(s.name);
    if (entry === undefined) {
      const config = { name: s.name, help: s.help, labelNames: Object.keys(s.labels).sort(), registers: [registry] };
      entry = { metric: s.kind === 'counter' ? new Counter(config) : new Gauge(config), kind: s.kind, labelNames };
      byName.set(s.name, entry);
    } else if (entry.labelNames !== labelNames || entry.kind !== s.kind) {
      continue; // two fields that map to one name with different shapes: keep the first
    }
    if (entry.metric instanceof Counter) {
      if (s.value >= 0) entry.metric.inc(s.labels, s.value);
    } else {
      entry.metric.set(s.labels, s.value);
    }
  }
  const state = new Gauge({
    name: 'lanbox_service_state',
    help: 'Service state: 1 for the current one',
    labelNames: ['service', 'state'],
    registers: [registry],
  });
  for (const [name, v] of Object.entries(doc)) {
    if (v === null || typeof v !== 'object') continue;
    const s = v as { state?: unknown; summary?: unknown };
    if (typeof s.state !== 'string' || typeof s.summary !== 'string') continue;
    for (const st of STATES) state.set({ service: name, state: st }, s.state === st ? 1 : 0);
  }
  const app = doc.appliance as { version?: unknown; profile?: unknown } | undefined;
  if (app !== undefined) {
    const info = new Gauge({
      name: 'lanbox_info',
      help: 'Version and profile of the running appliance (always 1)',
      labelNames: ['version', 'profile'],
      registers: [registry],
    });
    info.set({ version: String(app.version ?? ''), profile: String(app.profile ?? '') }, 1);
  }
  return registry.metrics();
}
