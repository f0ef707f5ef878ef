/**
 * The DHT proxy (@lanbox/proxy) for phones, as a client of the box's own DHT node, on its own
 * port. Health is measured, not assumed: a probe sends what a phone sends first through the
 * proxy's own HTTP port — node info (it must name the running node and a bound DHT port) and a
 * get (the DHT lookup behind it must complete) — so "ok" means a request through the proxy
 * really reaches the DHT (a proxy that answers but is cut off from its node is opendht#869).
 * The probe only reads: it stores nothing in the DHT.
 */
import { request, type Server } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { createDhtProxy, type DhtProxy, type ProxyDb, type ProxyDht, type ProxyStatus } from '@lanbox/proxy';
import type { LanboxConfig } from '../config/schema.js';
import type { ApplianceService, ServiceStatus, StoppedStatus } from './service.js';
import { isoUtc } from '../iso-time.js';

export type ProxyServiceStatus = (ServiceStatus & ProxyStatus & { probe: { probes: number; lastOkAt: string | null; error: string | null } }) | StoppedStatus;

export interface ProxyApplianceService extends ApplianceService<ProxyServiceStatus> {
  port(): number | null;
  /** The proxy's HTTP server (Jami DNS mode hands it the connections of ports 80-95). */
  server(): Server;
}

type Log = { debug(o: object, m?: string): void; info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };

/** How often the probe runs; "ok" needs a probe that succeeded within two periods. */
const PROBE_MS = 30_000;
const TICK_MS = 10_000;
/** The key the probe reads (SHA-1 of this text). */
const PROBE_PATH = '/key/lanbox-proxy-probe';

/** True for the box's own push service: its port, on an address of this box (or its name). */
export function ownPushTarget(url: URL, pushPort: number | null, interfaces = networkInterfaces(), host = hostname()): boolean {
  if (pushPort === null || url.protocol !== 'http:' || Number(url.port || 80) !== pushPort) return false;
  const h = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === host.toLowerCase() || h === `${host.toLowerCase()}.local`) return true;
  for (const list of Object.values(interfaces)) for (const a of list ?? []) if (a.address.toLowerCase() === h) return true;
  return false;
}

function call(port: number, host: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, method, path, agent: false, headers: { 'Content-Type': 'application/json', Connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (text.length < 65_536) text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}

export function createProxyApplianceService(
  config: LanboxConfig,
  components: { dht: ProxyDht; db?: ProxyDb; logger: Log; pushPort: () => number | null },
): ProxyApplianceService {
  const proxy: DhtProxy = createDhtProxy(
    {
      port: config.proxyPort,
      ...(config.bind !== null ? { host: config.bind } : {}),
      pushGateway: config.pushGateway,
      allowedPushOrigins: config.pushAllow,
    },
    {
      dht: components.dht,
      ...(components.db !== undefined ? { db: components.db } : {}),
      logger: components.logger,
      allowPushTarget: (url) => config.push && ownPushTarget(url, components.pushPort()),
    },
  );
  let started = false;
  let tick: NodeJS.Timeout | null = null;
  let probeTimer: NodeJS.Timeout | null = null;
  let lastProbeOk: number | null = null;
  let lastProbeError: string | null = 'not probed yet';
  let probes = 0;

  const probeHost = () => (config.bind === null || config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind === '::' ? '::1' : config.bind);
  const probe = async () => {
    const port = proxy.port();
    if (port === null) return;
    probes++;
    const info = await call(port, probeHost(), 'GET', '/node/info');
    let error: string | null = null;
    try {
      const j = JSON.parse(info.body) as { node_id?: unknown; port_ipv4?: unknown; port_ipv6?: unknown };
      const st = components.dht.status();
      if (info.status !== 200 || j.node_id !== st.id) error = `node info answered ${info.status} without our node`;
      else if (st.ports[4] === null && st.ports[6] === null) error = 'the DHT node has no bound port';
    } catch {
      error = `node info answered ${info.status} with no JSON`;
    }
    if (error === null) {
      // `call` resolves on the end of the chunked body, i.e. once the DHT get behind it completed.
      const get = await call(port, probeHost(), 'GET', PROBE_PATH);
      if (get.status !== 200) error = `get answered ${get.status}`;
    }
    if (error === null) {
      lastProbeOk = Date.now();
      lastProbeError = null;
    } else {
      lastProbeError = error;
      components.logger.warn({ error }, 'proxy probe failed');
    }
  };

  return {
    name: 'proxy',
    port: () => proxy.port(),
    server: () => proxy.server,
    async start() {
      await proxy.start();
      started = true;
      tick = setInterval(() => proxy.tick(), TICK_MS);
      tick.unref();
      await probe();
      probeTimer = setInterval(() => void probe(), PROBE_MS);
      probeTimer.unref();
    },
    async stop() {
      if (tick !== null) clearInterval(tick);
      if (probeTimer !== null) clearInterval(probeTimer);
      tick = probeTimer = null;
      if (!started) return;
      started = false;
      await proxy.stop();
    },
    status(): ProxyServiceStatus {
      if (!started) return { state: 'down', summary: 'not running' } as StoppedStatus;
      const s = proxy.status();
      const fresh = lastProbeOk !== null && Date.now() - lastProbeOk < 2 * PROBE_MS + 10_000;
      const state = !s.listening ? ('down' as const) : fresh ? ('ok' as const) : ('degraded' as const);
      const summary = !s.listening
        ? 'not listening'
        : `${s.clients} phone(s), ${s.listens} listen stream(s), ${s.subscriptions.total} push subscription(s), ${s.permanentPuts} permanent put(s); ` +
          `pushes ${s.pushes.sent} sent, ${s.pushes.failed} failed, ${s.pushes.refused} refused` +
          (fresh ? '' : `; requests do not reach the DHT: ${lastProbeError ?? 'probe too old'}`);
      return {
        ...s,
        state,
        summary,
        probe: { probes, lastOkAt: lastProbeOk === null ? null : isoUtc(lastProbeOk), error: lastProbeError },
      };
    },
  };
}
