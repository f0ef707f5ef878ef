/**
 * lanbox-dhcp: the guard around the opt-in DHCP server. With dhcp_server=on in the settings file
 * it asks the LAN "is there a DHCP server?" (a DHCPDISCOVER, answers collected for a few seconds)
 * before serving and every minute while running. dnsmasq runs, as this process's child, only
 * after two probes in a row got no answer from any server but the box itself; the first foreign
 * answer stops it. The state and the reason go to /run/lanbox/dhcp-status.json (status page).
 *
 * LANBOX_ROOT (tests only) prefixes every path; LANBOX_DHCP_INTERVAL_MS shortens the period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DHCP_CLIENT_PORT, DHCP_OFFER, DHCP_SERVER_PORT, decodeReply, encodeDiscover } from './dhcp-codec.js';

const root = process.env.LANBOX_ROOT ?? '/';
const at = (p: string) => join(root, p);
const STATUS = '/run/lanbox/dhcp-status.json';
const INTERVAL_MS = Number(process.env.LANBOX_DHCP_INTERVAL_MS ?? 60_000);
/** How long one probe listens for offers; DHCP servers answer within a second or two. */
const LISTEN_MS = 4000;
/** Replies read per probe at most: a flood of packets on port 68 cannot keep us busy. */
const MAX_REPLIES = 64;
/** Clean probes in a row before serving, so a server that was slow once is not missed. */
const CLEAN_PROBES_TO_SERVE = 2;

interface Plan {
  enabled: boolean;
  address: { address: string; prefix: number };
  first: string;
  last: string;
  netmask: string;
  dns: boolean;
}

type Mode = 'off' | 'waiting' | 'serving' | 'refused' | 'error';

const counters = { probes: 0, repliesIgnored: 0, repliesMalformed: 0, otherServerSeen: 0 };

function report(mode: Mode, reason: string, extra: Record<string, unknown> = {}): void {
  const doc = { mode, serving: mode === 'serving', reason, checkedAt: new Date().toISOString(), ...counters, ...extra };
  mkdirSync(at('/run/lanbox'), { recursive: true });
  // Written whole then renamed: the appliance never reads half a file.
  writeFileSync(at(`${STATUS}.tmp`), `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(at(`${STATUS}.tmp`), at(STATUS));
  process.stdout.write(`lanbox-dhcp: ${mode}: ${reason}\n`);
}

function ownInterface(address: string): { name: string; mac: Uint8Array; own: Set<string> } | null {
  const own = new Set<string>();
  let found: { name: string; mac: Uint8Array } | null = null;
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      own.add(a.address);
      if (a.family === 'IPv4' && a.address === address) {
        found = { name, mac: Uint8Array.from(a.mac.split(':').map((h) => parseInt(h, 16))) };
      }
    }
  }
  return found === null ? null : { ...found, own };
}

/**
 * Sends one DHCPDISCOVER and returns the server ids that offered something, the box's own excluded.
 * Two sockets: offers come to 255.255.255.255:68, which only a socket bound to 0.0.0.0:68 sees;
 * the DISCOVER goes out from a socket bound to the box's own address, because Linux routes a
 * limited broadcast by its source address when there is no default route (an offline LAN has none).
 */
function probe(mac: Uint8Array, own: Set<string>, from: string): Promise<string[]> {
  counters.probes++;
  return new Promise((resolve, reject) => {
    const xid = randomBytes(4).readUInt32BE(0);
    const servers = new Set<string>();
    let replies = 0;
    let finished = false;
    const rx = createSocket({ type: 'udp4', reuseAddr: true });
    const tx = createSocket({ type: 'udp4' });
    const finish = (err: Error | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      rx.close();
      tx.close();
      if (err !== null) reject(err);
      else resolve([...servers]);
    };
    const timer = setTimeout(() => finish(null), LISTEN_MS);
    rx.on('error', finish);
    tx.on('error', finish);
    rx.on('message', (msg, rinfo) => {
      if (++replies > MAX_REPLIES) return;
      const r = decodeReply(msg);
      if (!r.ok) {
        counters.repliesMalformed++;
        return;
      }
      if (r.value.xid !== xid || r.value.messageType !== DHCP_OFFER) {
        counters.repliesIgnored++;
        return;
      }
      const server = r.value.serverId ?? rinfo.address;
      if (own.has(server) || own.has(rinfo.address)) return;
      servers.add(server);
    });
    rx.bind(DHCP_CLIENT_PORT, '0.0.0.0', () => {
      tx.bind(0, from, () => {
        tx.setBroadcast(true);
        tx.send(encodeDiscover(xid, mac), DHCP_SERVER_PORT, '255.255.255.255', (err) => {
          if (err) finish(err);
        });
      });
    });
  });
}

function dnsmasqArgs(plan: Plan, ifname: string): string[] {
  return [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    // DNS is the appliance's business (Jami DNS mode), not dnsmasq's.
    '--port=0',
    `--interface=${ifname}`,
    '--bind-interfaces',
    `--dhcp-range=${plan.first},${plan.last},${plan.netmask},12h`,
    // Offline LAN: no router to announce (clients then keep their other routes).
    '--dhcp-option=option:router',
    ...(plan.dns ? ['--dhcp-option=option:dns-server,0.0.0.0'] : []),
    // Leases in RAM: SD-card care; clients simply renew after a reboot.
    `--dhcp-leasefile=${at('/run/lanbox/dnsmasq.leases')}`,
    // No pid file: this process is dnsmasq's supervisor.
    '--pid-file=',
    '--log-facility=-',
  ];
}

async function main(): Promise<void> {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(at('/run/lanbox/dhcp.json'), 'utf8')) as Plan;
  } catch (err) {
    report('error', `no DHCP plan from lanbox-setup (${(err as Error).message})`);
    process.exit(1);
  }
  if (!plan.enabled) {
    report('off', "off: dhcp_server is not on in the settings file (the default); the LAN's own DHCP server or link-local addresses are used");
    return;
  }
  let dnsmasq: ChildProcess | null = null;
  const stopServing = () => {
    if (dnsmasq !== null && dnsmasq.exitCode === null) dnsmasq.kill('SIGTERM');
    dnsmasq = null;
  };
  process.on('SIGTERM', () => {
    stopServing();
    process.exit(0);
  });
  let clean = 0;
  for (;;) {
    const iface = ownInterface(plan.address.address);
    if (iface === null) {
      stopServing();
      clean = 0;
      report('waiting', `the box does not have its address ${plan.address.address} yet`);
      await new Promise((r) => setTimeout(r, Math.min(INTERVAL_MS, 5000)));
      continue;
    } else {
      let others: string[];
      try {
        others = await probe(iface.mac, iface.own, plan.address.address);
      } catch (err) {
        others = [];
        stopServing();
        clean = 0;
        report('error', `could not ask for DHCP servers: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, INTERVAL_MS));
        continue;
      }
      if (others.length > 0) {
        counters.otherServerSeen++;
        const was = dnsmasq !== null;
        stopServing();
        clean = 0;
        report('refused', `${was ? 'stopped serving: ' : 'not serving: '}another DHCP server answers on ${iface.name} (${others.join(', ')})`, {
          otherServers: others,
        });
      } else if (++clean >= CLEAN_PROBES_TO_SERVE) {
        if (dnsmasq === null || dnsmasq.exitCode !== null) {
          const child = spawn('/usr/sbin/dnsmasq', dnsmasqArgs(plan, iface.name), { stdio: ['ignore', 'inherit', 'inherit'] });
          child.on('exit', (code, signal) => {
            if (dnsmasq === child) {
              dnsmasq = null;
              clean = 0;
              report('error', `dnsmasq exited (${signal ?? code})`);
            }
          });
          dnsmasq = child;
        }
        report(
          'serving',
          `serving ${plan.first} to ${plan.last} on ${iface.name}${plan.dns ? ', with the box as DNS (Jami DNS mode)' : ''}; no other DHCP server answers`,
          { interface: iface.name, range: [plan.first, plan.last], dns: plan.dns },
        );
      } else {
        report('waiting', `checking that no other DHCP server answers before serving (${clean}/${CLEAN_PROBES_TO_SERVE})`);
        await new Promise((r) => setTimeout(r, Math.min(INTERVAL_MS, 5000)));
        continue;
      }
    }
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
}

void main();
