/**
 * The GSLB query mix: `example.com AAAA` with an EDNS Client Subnet option from each region of
 * geo-data/sample.mmdb, written in dnsperf's TCP-stream binary format (`-B`: each message
 * prefixed by its 2-byte length), so one dnsperf run mixes ECS options.
 */
import * as dnsPacket from 'dns-packet';

/** Client subnets and the datacenter each should get (seed example 3 + the sample database). */
export const REGION_MIX: { region: string; family: 1 | 2; address: string; prefix: number; want: string }[] = [
  { region: 'us-west', family: 1, address: '10.1.0.0', prefix: 24, want: '2001:db8:ae21:7700::' },
  { region: 'europe', family: 1, address: '10.2.0.0', prefix: 24, want: '2001:db8:478:2800::' },
  { region: 'asia', family: 1, address: '10.3.0.0', prefix: 24, want: '2001:db8:c001:e400::' },
  { region: 'us-east', family: 1, address: '10.4.0.0', prefix: 24, want: '2001:db8:ae21:7700::' },
  { region: 'south-america', family: 1, address: '10.5.0.0', prefix: 24, want: '2001:db8:478:2800::' },
  { region: 'us-west v6', family: 2, address: '2001:db8:1::', prefix: 48, want: '2001:db8:ae21:7700::' },
  { region: 'europe v6', family: 2, address: '2001:db8:2::', prefix: 48, want: '2001:db8:478:2800::' },
  { region: 'asia v6', family: 2, address: '2001:db8:3::', prefix: 48, want: '2001:db8:c001:e400::' },
];

/** One query in dnsperf's binary format: 2-byte length, then `example.com AAAA` with ECS. */
function framed(id: number, family: 1 | 2, address: string, prefix: number, name: string, dnssecOk = false): Buffer[] {
  const q = dnsPacket.encode({
    type: 'query', id: id & 0xffff, flags: 0,
    questions: [{ type: 'AAAA', name }],
    // EDNS flags: DO is the top bit (RFC 3225).
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnssecOk ? 0x8000 : 0, options: [{ code: 8, family, sourcePrefixLength: prefix, scopePrefixLength: 0, ip: address }] } as dnsPacket.Answer],
  });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return [len, q];
}

/** The binary dnsperf input: one query per region, in order. */
export function queryMix(name = 'example.com', dnssecOk = false): Buffer {
  return Buffer.concat(REGION_MIX.flatMap((r, i) => framed(i, r.family, r.address, r.prefix, name, dnssecOk)));
}

/**
 * Many clients: every IPv4 /24 of 10.1–10.5.0.0/16 and every IPv6 /56 of 2001:db8:1–5::/48
 * (the five client regions of the sample database), as resolvers send them: 2,560 queries.
 */
export function spreadMix(name = 'example.com', dnssecOk = false): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 1280; i++) {
    const region = 1 + (i % 5);
    const n = Math.floor(i / 5);
    parts.push(...framed(2 * i, 1, `10.${region}.${n}.0`, 24, name, dnssecOk));
    parts.push(...framed(2 * i + 1, 2, `2001:db8:${region}:${n.toString(16)}00::`, 56, name, dnssecOk));
  }
  return Buffer.concat(parts);
}

/** Every query a client of its own: 100,000 distinct IPv4 /32s in the client regions (more than any cache of anypick holds). */
export function coldMix(name = 'example.com'): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) parts.push(...framed(i, 1, `10.${1 + (i % 5)}.${(i >> 8) & 255}.${i & 255}`, 32, name));
  return Buffer.concat(parts);
}
