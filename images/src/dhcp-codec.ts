/**
 * Just enough DHCPv4 (RFC 2131/2132) to ask "does any DHCP server answer on this LAN?": a
 * DHCPDISCOVER to send, and a decoder for the replies that pulls out the message type and the
 * server identifier. The decoder is pure and total: any bytes in, a typed result out.
 */

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC_COOKIE = 0x63825363;
/** Fixed BOOTP header before the magic cookie. */
const HEADER_BYTES = 236;
/** RFC 2131: a client must accept messages of up to 576 bytes; bigger ones are not DHCP replies we expect. */
export const MAX_DHCP_MESSAGE = 1500;

export const DHCP_DISCOVER = 1;
export const DHCP_OFFER = 2;
export const DHCP_ACK = 5;

export interface DhcpReply {
  xid: number;
  /** Option 53 (1 DISCOVER, 2 OFFER, 5 ACK…), null when absent. */
  messageType: number | null;
  /** Option 54, dotted IPv4, null when absent. */
  serverId: string | null;
  /** Address offered to the client ("your address"). */
  yiaddr: string;
}

export type DecodeResult = { ok: true; value: DhcpReply } | { ok: false; error: string };

const ip = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** A broadcast DHCPDISCOVER from `mac` (6 bytes) with transaction id `xid`. */
export function encodeDiscover(xid: number, mac: Uint8Array): Uint8Array {
  // 300 bytes: the BOOTP minimum some servers (and relays) insist on.
  const out = new Uint8Array(300);
  const view = new DataView(out.buffer);
  out[0] = 1; // BOOTREQUEST
  out[1] = 1; // Ethernet
  out[2] = 6; // hardware address length
  view.setUint32(4, xid >>> 0);
  view.setUint16(10, 0x8000); // broadcast flag: answer to 255.255.255.255, we have no lease
  out.set(mac.subarray(0, 6), 28);
  view.setUint32(HEADER_BYTES, MAGIC_COOKIE);
  let at = HEADER_BYTES + 4;
  out.set([53, 1, DHCP_DISCOVER], at);
  at += 3;
  // Parameter request list: subnet mask, router, DNS, server id (what a real client asks).
  out.set([55, 4, 1, 3, 6, 54], at);
  at += 6;
  out[at] = 255; // end
  return out;
}

export function decodeReply(buf: Uint8Array): DecodeResult {
  if (buf.length < HEADER_BYTES + 4) return { ok: false, error: `too short (${buf.length} bytes)` };
  if (buf.length > MAX_DHCP_MESSAGE) return { ok: false, error: `too long (${buf.length} bytes)` };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf[0] !== 2) return { ok: false, error: 'not a BOOTREPLY' };
  if (view.getUint32(HEADER_BYTES) !== MAGIC_COOKIE) return { ok: false, error: 'no DHCP magic cookie' };
  let messageType: number | null = null;
  let serverId: string | null = null;
  let at = HEADER_BYTES + 4;
  while (at < buf.length) {
    const code = buf[at]!;
    if (code === 255) break;
    if (code === 0) {
      at += 1;
      continue;
    }
    if (at + 1 >= buf.length) return { ok: false, error: 'option length missing' };
    const len = buf[at + 1]!;
    const start = at + 2;
    if (start + len > buf.length) return { ok: false, error: `option ${code} runs past the end` };
    if (code === 53 && len === 1) messageType = buf[start]!;
    if (code === 54 && len === 4) serverId = ip(buf, start);
    at = start + len;
  }
  return { ok: true, value: { xid: view.getUint32(4), messageType, serverId, yiaddr: ip(buf, 16) } };
}
