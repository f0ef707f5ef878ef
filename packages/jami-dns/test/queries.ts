/** Test helpers: DNS queries built with dns-packet, responses decoded with it. */
import * as packet from 'dns-packet';

export function query(name: string, type: packet.RecordType | 'ANY' = 'A', opts: { id?: number; edns?: boolean; rd?: boolean } = {}): Uint8Array {
  return new Uint8Array(
    packet.encode({
      id: opts.id ?? 0x1234,
      type: 'query',
      flags: opts.rd === false ? 0 : packet.RECURSION_DESIRED,
      questions: [{ name, type: type as packet.RecordType, class: 'IN' }],
      additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
    }),
  );
}

export interface Decoded {
  id: number;
  rcode: string;
  aa: boolean;
  rd: boolean;
  question: string | undefined;
  a: string[];
  aaaa: string[];
  edns: boolean;
}

export function decode(bytes: Uint8Array): Decoded {
  const p = packet.decode(Buffer.from(bytes));
  const answers = (p.answers ?? []) as Array<{ type: string; data: unknown }>;
  return {
    id: p.id ?? -1,
    rcode: ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][(p.flags ?? 0) & 0xf] ?? '?',
    aa: p.flag_aa,
    rd: p.flag_rd,
    question: p.questions?.[0]?.name,
    a: answers.filter((x) => x.type === 'A').map((x) => String(x.data)),
    aaaa: answers.filter((x) => x.type === 'AAAA').map((x) => String(x.data)),
    edns: (p.additionals ?? []).some((x) => x.type === 'OPT'),
  };
}

/** Two LAN interfaces, as os.networkInterfaces() shows them, plus loopback. */
export const TWO_LANS = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', internal: true, cidr: '::1/128' },
  ],
  eth0: [
    { address: '10.1.0.1', netmask: '255.255.255.0', family: 'IPv4', internal: false, cidr: '10.1.0.1/24' },
    { address: 'fd01::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, cidr: 'fd01::1/64' },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, cidr: 'fe80::1/64' },
  ],
  wlan0: [
    { address: '192.168.7.1', netmask: '255.255.255.0', family: 'IPv4', internal: false, cidr: '192.168.7.1/24' },
    { address: 'fe80::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, cidr: 'fe80::2/64' },
  ],
};
