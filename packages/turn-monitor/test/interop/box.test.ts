import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { TurnMonitorStatus } from '../../src/index.js';

const SCENARIO = fileURLToPath(new URL('../helpers/box-scenario.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../../../appliance/coturn/turnserver.conf', import.meta.url));

/**
 * A private network namespace (user namespace, so no root needed) shaped like the box: loopback
 * plus a LAN interface with a private address. Nothing leaves it.
 */
const NAMESPACE_SETUP = [
  'ip link set lo up',
  'ip link add lan0 type veth peer name lan1',
  'ip addr add 192.168.77.1/24 dev lan0',
  'ip link set lan0 up',
  'ip link set lan1 up',
].join(' && ');

describe('on a box-like network: shipped coturn config + monitor defaults', () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  });

  it('the default server (127.0.0.1:3478, ring/ring) is ok, relaying to the LAN address', async () => {
    const script = `${NAMESPACE_SETUP} && exec "${process.execPath}" --conditions=lanbox-source --import tsx "${SCENARIO}" "${CONFIG}"`;
    child = spawn('unshare', ['-rn', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child?.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 60_000);
      child?.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, err);
    const status = JSON.parse(out) as TurnMonitorStatus;
    const server = status.servers[0];
    assert.equal(server?.url, 'turn://ring@127.0.0.1:3478');
    assert.equal(status.state, 'ok', server?.lastError ?? '');
    assert.ok(server?.steps['tcp-peer-accept'] !== undefined && server.steps.relay !== undefined);
    assert.equal(server?.realm, 'ring');
  });
});
