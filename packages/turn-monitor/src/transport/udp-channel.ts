import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { MAX_MESSAGE_LENGTH } from '../codec/constants.js';
import type { Endpoint, StunChannel } from './channel.js';

/** A UDP socket connected to one server, so only that server's datagrams arrive. */
export async function openUdpChannel(server: Endpoint): Promise<StunChannel> {
  const socket = createSocket({ type: isIPv6(server.host) ? 'udp6' : 'udp4' });
  const closeHandlers: ((reason: string) => void)[] = [];
  let closed = false;
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    socket.close();
    for (const h of closeHandlers) h(reason);
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(server.port, server.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (e) => close(e.message));
  const addr = socket.address();
  return {
    kind: 'udp',
    local: { family: addr.family === 'IPv6' ? 'IPv6' : 'IPv4', address: addr.address, port: addr.port },
    send(bytes) {
      if (!closed) socket.send(bytes);
    },
    onMessage(handler) {
      socket.on('message', (msg) => {
        if (msg.length <= MAX_MESSAGE_LENGTH) handler(msg);
      });
    },
    onClose(handler) {
      closeHandlers.push(handler);
    },
    close() {
      close('closed');
    },
  };
}
