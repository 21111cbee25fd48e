import { expect } from 'chai';
import { parseZone } from '../../src/zone';
import { parseBody, rr, roundTrip } from './helpers';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const SHA256 = '0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6';
const SHA1 = '123456789abcdef67890123456789abcdef67890';

/**
 * Every supported type: the RDATA as written, and the dns-packet `data` it must become.
 * Each record is then encoded and decoded by dns-packet (the proof of the shape).
 */
const TYPES: { rr: string; type: string; data: unknown }[] = [
  { rr: 'A 192.0.2.1', type: 'A', data: '192.0.2.1' },
  { rr: 'AAAA 2001:DB8:0:0:0:0:0:1', type: 'AAAA', data: '2001:db8::1' },
  { rr: 'AAAA 2001:db8:ae21:7700::', type: 'AAAA', data: '2001:db8:ae21:7700::' },
  { rr: 'AAAA 2001:db8:0:0:1:0:0:1', type: 'AAAA', data: '2001:db8::1:0:0:1' },
  { rr: 'AAAA ::ffff:192.0.2.1', type: 'AAAA', data: '::ffff:c000:201' },
  { rr: 'NS ns1.other.example.', type: 'NS', data: 'ns1.other.example' },
  { rr: 'CNAME www', type: 'CNAME', data: 'www.example.com' },
  { rr: 'PTR host.example.net.', type: 'PTR', data: 'host.example.net' },
  { rr: 'DNAME target.example.net.', type: 'DNAME', data: 'target.example.net' },
  { rr: 'MX 0 .', type: 'MX', data: { preference: 0, exchange: '' } },
  { rr: 'MX 65535 mail', type: 'MX', data: { preference: 65535, exchange: 'mail.example.com' } },
  { rr: 'TXT "v=spf1 -all"', type: 'TXT', data: [Buffer.from('v=spf1 -all')] },
  { rr: 'SRV 0 5 5060 sip', type: 'SRV', data: { priority: 0, weight: 5, port: 5060, target: 'sip.example.com' } },
  { rr: 'SRV 0 0 0 .', type: 'SRV', data: { priority: 0, weight: 0, port: 0, target: '' } },
  { rr: 'CAA 0 issue "letsencrypt.org"', type: 'CAA', data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' } },
  { rr: 'CAA 128 tbs "Unknown"', type: 'CAA', data: { flags: 128, tag: 'tbs', value: 'Unknown' } },
  { rr: 'CAA 0 issue ";"', type: 'CAA', data: { flags: 0, tag: 'issue', value: ';' } },
  { rr: 'HINFO "Generic PC" Linux', type: 'HINFO', data: { cpu: 'Generic PC', os: 'Linux' } },
  {
    rr: 'NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp',
    type: 'NAPTR',
    data: { order: 100, preference: 10, flags: 'S', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.com' },
  },
  { rr: `SSHFP 4 2 ${SHA256}`, type: 'SSHFP', data: { algorithm: 4, hash: 2, fingerprint: SHA256.toUpperCase() } },
  { rr: `SSHFP 1 1 ${SHA1.slice(0, 20)} ${SHA1.slice(20)}`, type: 'SSHFP', data: { algorithm: 1, hash: 1, fingerprint: SHA1.toUpperCase() } },
  { rr: `TLSA 3 1 1 ( ${SHA256.slice(0, 32)}\n ${SHA256.slice(32)} )`, type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: hex(SHA256) } },
  { rr: 'TLSA 3 0 0 30820122', type: 'TLSA', data: { usage: 3, selector: 0, matchingType: 0, certificate: hex('30820122') } },
  { rr: `DS 60485 13 2 ${SHA256.toUpperCase()}`, type: 'DS', data: { keyTag: 60485, algorithm: 13, digestType: 2, digest: hex(SHA256) } },
  // RFC 3597 generic form: unknown types keep their octets, known ones become the usual shape.
  { rr: 'TYPE65280 \\# 3 abcdef', type: 'TYPE65280', data: hex('abcdef') },
  { rr: 'TYPE65281 \\# 0', type: 'TYPE65281', data: Buffer.alloc(0) },
  { rr: 'LOC \\# 16 00121616 8997b2c8 70ab6b48 00989680', type: 'LOC', data: hex('001216168997b2c870ab6b4800989680') },
  { rr: 'TYPE1 \\# 4 c0000201', type: 'A', data: '192.0.2.1' },
  { rr: 'A \\# 4 C0 00 02 02', type: 'A', data: '192.0.2.2' },
  { rr: 'CAA \\# 22 000569737375656c657473656e63727970742e6f7267', type: 'CAA', data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' } },
  { rr: 'TYPE15 \\# 8 000a044d41494c00', type: 'MX', data: { preference: 10, exchange: 'mail' } },
];

describe('zone RDATA: dns-packet data shapes', () => {
  for (const t of TYPES) {
    it(`${t.rr.split('\n')[0]}`, () => {
      const z = parseBody(`x ${t.rr}\n`);
      const r = rr(z, 'x.example.com', t.type);
      expect(r.data).to.deep.equal(t.data);
      roundTrip(r);
    });
  }

  it('SOA: names absolute, timers with units', () => {
    const z = parseZone('$ORIGIN s.example.com.\n@ 60 SOA ns1 hostmaster.example.com. 4294967295 1h 1m 1w 1d\n NS ns1\n', { file: 't.zone' });
    const soa = rr(z, 's.example.com', 'SOA');
    expect(soa.data).to.deep.equal({
      mname: 'ns1.s.example.com',
      rname: 'hostmaster.example.com',
      serial: 4294967295,
      refresh: 3600,
      retry: 60,
      expire: 604800,
      minimum: 86400,
    });
    roundTrip(soa);
  });

  it('TXT with many strings and \\DDD octets round-trips byte for byte', () => {
    const z = parseBody('x TXT "a" "\\000\\255" b\\ c ""\n');
    const r = rr(z, 'x.example.com', 'TXT');
    expect(r.data).to.deep.equal([Buffer.from('a'), Buffer.from([0, 255]), Buffer.from('b c'), Buffer.alloc(0)]);
    roundTrip(r);
  });
});
