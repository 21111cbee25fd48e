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

/** The binary dnsperf input: one query per region, in order. */
export function queryMix(name = 'example.com'): Buffer {
  const parts: Buffer[] = [];
  REGION_MIX.forEach((r, i) => {
    const q = dnsPacket.encode({
      type: 'query', id: i, flags: 0,
      questions: [{ type: 'AAAA', name }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [{ code: 8, family: r.family, sourcePrefixLength: r.prefix, scopePrefixLength: 0, ip: r.address }] } as dnsPacket.Answer],
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    parts.push(len, q);
  });
  return Buffer.concat(parts);
}
