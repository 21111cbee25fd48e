/** Test helpers for the DNS server: zones built in code, queries built with dns-packet. */
import * as dnsPacket from 'dns-packet';
import pino from 'pino';
import type { Zone, ZoneRecord } from '../../src/zone/types';

export const silentLogger = pino({ level: 'silent' });

const pos = { file: 'test.zone', line: 1, col: 1 };

/** One record. */
export function rr(name: string, type: string, data: unknown, ttl = 300): ZoneRecord {
  return { name, type, class: 'IN', ttl, data, pos };
}

/** A zone with an SOA (TTL 3600, minimum 60) and NS at the apex plus `records`. */
export function zone(origin: string, records: ZoneRecord[]): Zone {
  const soa = rr(origin, 'SOA', { mname: `ns1.${origin}`, rname: `hostmaster.${origin}`, serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 60 }, 3600);
  return { origin, file: `${origin}.zone`, soa, records: [soa, rr(origin, 'NS', `ns1.${origin}`), ...records] };
}

/** Many TXT strings: an RRset that does not fit 1232 bytes. */
export function bigTxt(): Buffer[] {
  return Array.from({ length: 12 }, (_, i) => Buffer.from(`${i}`.padEnd(200, 'x')));
}

/** The test data: example.com (CNAMEs, delegation, MX/SRV), wild.test (wildcards, ENT). */
export function testZones(): Zone[] {
  return [
    zone('example.com', [
      rr('ns1.example.com', 'A', '192.0.2.53'),
      rr('www.example.com', 'A', '192.0.2.1'),
      rr('www.example.com', 'AAAA', '2001:db8::1'),
      rr('alias.example.com', 'CNAME', 'www.example.com'),
      rr('old.example.com', 'CNAME', 'alias.example.com.'),
      rr('loop1.example.com', 'CNAME', 'loop2.example.com'),
      rr('loop2.example.com', 'CNAME', 'loop1.example.com'),
      rr('out.example.com', 'CNAME', 'www.example.org'),
      rr('dangling.example.com', 'CNAME', 'nothere.example.com'),
      rr('example.com', 'MX', { preference: 10, exchange: 'mail.example.com' }),
      rr('example.com', 'TXT', [Buffer.from('v=spf1 -all')]),
      rr('mail.example.com', 'A', '192.0.2.25'),
      rr('_sip._udp.example.com', 'SRV', { priority: 1, weight: 2, port: 5060, target: 'sip.example.com' }),
      rr('sip.example.com', 'AAAA', '2001:db8::5'),
      rr('sub.example.com', 'NS', 'ns.sub.example.com'),
      rr('ns.sub.example.com', 'A', '192.0.2.99'),
      rr('big.example.com', 'TXT', bigTxt()),
      rr('api.example.com', 'TXT', [Buffer.from('static api')]),
    ]),
    zone('wild.test', [
      rr('*.wild.test', 'A', '198.51.100.1'),
      rr('a.b.wild.test', 'A', '198.51.100.2'),
      rr('*.c.wild.test', 'CNAME', 'a.b.wild.test'),
    ]),
  ];
}

/** Encodes a query; `opt` adds an OPT record. */
export function query(name: string, type: string, o: { id?: number; rd?: boolean; udp?: number; version?: number; ecs?: { family: number; sourcePrefix: number; address: string } ; noEdns?: boolean; options?: Array<{ code: number; data?: Buffer }> } = {}): Buffer {
  const additionals: dnsPacket.Answer[] = [];
  if (!o.noEdns && (o.udp !== undefined || o.ecs || o.version !== undefined || o.options)) {
    const options: unknown[] = o.ecs ? [{ code: 'CLIENT_SUBNET', family: o.ecs.family, sourcePrefixLength: o.ecs.sourcePrefix, scopePrefixLength: 0, ip: o.ecs.address }] : [];
    for (const x of o.options ?? []) options.push({ code: x.code, data: x.data ?? Buffer.alloc(0) });
    additionals.push({ type: 'OPT', name: '.', udpPayloadSize: o.udp ?? 1232, extendedRcode: 0, ednsVersion: o.version ?? 0, flags: 0, options } as unknown as dnsPacket.Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 4242,
    flags: o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
    additionals,
  });
}

/** Decoded reply with the fields the tests look at. */
export type Reply = dnsPacket.Packet & { rcode: string; flag_aa: boolean; flag_tc: boolean; flag_rd: boolean; flag_ra: boolean };

/** Decodes a reply. */
export function decode(b: Buffer): Reply {
  return dnsPacket.decode(b) as unknown as Reply;
}
