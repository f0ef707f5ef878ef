/**
 * Test helper: asks with the real `dig` (Debian bind9-dnsutils) and parses its answer. Other
 * workspaces' tests import it (the appliance's network-namespace test). `ns` runs dig inside a
 * network namespace.
 */
import { execFile } from 'node:child_process';

export interface DigAnswer {
  /** NOERROR, NXDOMAIN, REFUSED, SERVFAIL, FORMERR …; 'TIMEOUT' when dig got no answer. */
  status: string;
  flags: string[];
  /** Answer records of the asked type (addresses for A/AAAA). */
  records: string[];
  raw: string;
}

export function dig(server: string, port: number, name: string, type: string, options: { ns?: string; tcp?: boolean } = {}): Promise<DigAnswer> {
  const args = [`@${server}`, '-p', String(port), name, type, '+tries=1', '+time=3', '+noall', '+comments', '+answer', ...(options.tcp ? ['+tcp'] : [])];
  const [cmd, argv] = options.ns !== undefined ? ['ip', ['netns', 'exec', options.ns, 'dig', ...args]] : ['dig', args];
  return new Promise((resolve, reject) => {
    execFile(cmd as string, argv as string[], { timeout: 15_000 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
      const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? (/timed out|no servers could be reached/.test(stdout) ? 'TIMEOUT' : 'NONE');
      const flags = /;; flags: ([a-z ]+);/.exec(stdout)?.[1]?.trim().split(/\s+/) ?? [];
      const records = stdout
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith(';'))
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[3] === type)
        .map((f) => f[4] ?? '');
      resolve({ status, flags, records, raw: stdout });
    });
  });
}
