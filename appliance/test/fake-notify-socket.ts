/**
 * A fake systemd notify socket: python3 binds an AF_UNIX datagram socket (Node cannot) and
 * prints every datagram as one JSON string per line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const SERVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("LISTENING"), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export interface FakeNotifySocket {
  path: string;
  /** Every datagram received, BARRIER=1 (sent by systemd-notify ≥ 246 after each message) left out. */
  messages: string[];
  close: () => void;
}

export async function startFakeNotifySocket(dir: string): Promise<FakeNotifySocket> {
  const path = join(dir, 'notify.sock');
  const proc: ChildProcess = spawn('python3', ['-c', SERVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  let buf = '';
  await new Promise<void>((res, rej) => {
    proc.once('error', rej);
    proc.once('exit', (code) => rej(new Error(`fake notify socket exited (${code})`)));
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as string;
        buf = buf.slice(nl + 1);
        if (msg === 'LISTENING') res();
        else if (msg !== 'BARRIER=1') messages.push(msg);
      }
    });
  });
  proc.removeAllListeners('exit');
  return {
    path,
    messages,
    close: () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}
