import { connect } from 'node:net';
import { StreamFramer } from '../codec/framing.js';
import type { Endpoint, TcpStunChannel } from './channel.js';

/** A TCP connection to a server; STUN messages are framed until {@link TcpStunChannel.switchToRaw}. */
export async function openTcpChannel(server: Endpoint, timeoutMs: number): Promise<TcpStunChannel> {
  const socket = connect({ host: server.host, port: server.port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const framer = new StreamFramer();
  const messageHandlers: ((bytes: Uint8Array) => void)[] = [];
  const closeHandlers: ((reason: string) => void)[] = [];
  let raw: ((bytes: Uint8Array) => void) | undefined;
  let closed = false;
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    socket.destroy();
    for (const h of closeHandlers) h(reason);
  };
  socket.removeAllListeners('error');
  socket.on('error', (e) => close(e.message));
  socket.on('close', () => close('connection closed by server'));
  socket.on('data', (chunk) => {
    if (raw) {
      raw(chunk);
      return;
    }
    const out = framer.push(chunk);
    for (const frame of out.frames) for (const h of messageHandlers) h(frame);
    if (out.error) close(out.error);
  });
  return {
    kind: 'tcp',
    local: {
      family: socket.localFamily === 'IPv6' ? 'IPv6' : 'IPv4',
      address: socket.localAddress ?? '',
      port: socket.localPort ?? 0,
    },
    send(bytes) {
      if (!closed) socket.write(bytes);
    },
    onMessage(handler) {
      messageHandlers.push(handler);
    },
    onClose(handler) {
      closeHandlers.push(handler);
    },
    switchToRaw(handler) {
      raw = handler;
      const rest = framer.leftover();
      if (rest.length > 0) handler(rest);
    },
    close() {
      close('closed');
    },
  };
}
