import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { MessageWriter, typeCode } from '../../src/dns/wire/writer';
import { encodeReply } from '../../src/dns/wire/reply';
import { parseQuery } from '../../src/dns/wire/query';
import type { ParsedQuery } from '../../src/dns/wire/query';
import { query, rr } from './helpers';

/** Writes one record after a header and decodes it back with dns-packet. */
function roundTrip(type: string, data: unknown, owner = 'r.example.com'): dnsPacket.Answer {
  const w = new MessageWriter(Buffer.alloc(70000));
  w.header(1, 0x8400, 0, 1, 0, 0);
  w.record({ rec: rr(owner, type, data), owner, ttl: 77 });
  const d = dnsPacket.decode(w.buf.subarray(0, w.off));
  return d.answers![0];
}

describe('dns wire: reply writer round trip (every served type)', () => {
  const cases: Array<{ type: string; data: unknown; want?: unknown }> = [
    { type: 'A', data: '192.0.2.1' },
    { type: 'AAAA', data: '2001:db8::1' },
    { type: 'NS', data: 'ns1.example.com' },
    { type: 'CNAME', data: 'www.example.com.', want: 'www.example.com' },
    { type: 'PTR', data: 'host.example.com' },
    { type: 'DNAME', data: 'other.example.net' },
    { type: 'MX', data: { preference: 10, exchange: 'mail.example.com' } },
    { type: 'SOA', data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2026112501, refresh: 7200, retry: 1800, expire: 1209600, minimum: 300 } },
    { type: 'TXT', data: [Buffer.from('v=spf1 -all'), Buffer.from('second')] },
    { type: 'SRV', data: { priority: 1, weight: 2, port: 5060, target: 'sip.example.com' } },
    { type: 'CAA', data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' }, want: { flags: 0, tag: 'issue', value: 'letsencrypt.org', issuerCritical: false } },
    { type: 'TYPE65400', data: Buffer.from([1, 2, 3]) },
  ];
  for (const c of cases) {
    it(`${c.type}`, () => {
      const a = roundTrip(c.type, c.data);
      expect(a.name).to.equal('r.example.com');
      expect((a as { ttl?: number }).ttl).to.equal(77);
      if (c.type.startsWith('TYPE')) expect((a as unknown as { type: string }).type).to.equal('UNKNOWN_65400');
      else expect(a.type).to.equal(c.type);
      expect((a as { data: unknown }).data).to.deep.equal(c.want ?? c.data);
    });
  }
  it('maps type mnemonics and TYPEnnn to codes', () => {
    expect(typeCode('AAAA')).to.equal(28);
    expect(typeCode('TYPE65400')).to.equal(65400);
  });
  it('compresses repeated suffixes and writes escaped labels as bytes', () => {
    const w = new MessageWriter(Buffer.alloc(1000));
    w.header(1, 0, 0, 2, 0, 0);
    w.record({ rec: rr('a.example.com', 'NS', 'b.example.com'), owner: 'a.example.com', ttl: 1 });
    const first = w.off;
    w.record({ rec: rr('a\\.b.example.com', 'A', '192.0.2.1'), owner: 'a\\.b.example.com', ttl: 1 });
    // Second owner: one 3-byte label then a pointer to example.com (2 bytes), then 14 bytes of fixed fields + rdata.
    expect(w.off - first).to.equal(1 + 3 + 2 + 10 + 4);
    const d = dnsPacket.decode(w.buf.subarray(0, w.off));
    expect(d.answers!.map((a) => a.name)).to.deep.equal(['a.example.com', 'a.b.example.com']);
    expect(w.buf.subarray(first, first + 4)).to.deep.equal(Buffer.from([3, 0x61, 0x2e, 0x62]));
  });
});

describe('dns wire: reply framing and truncation', () => {
  const msg = query('x.example.com', 'A');
  const parsed = parseQuery(msg);
  const q = (parsed as { query: ParsedQuery }).query;
  const many = (n: number, type = 'A'): ReturnType<typeof rr>[] => Array.from({ length: n }, (_, i) => rr(`h${i}.example.com`, type, `192.0.2.${i % 250}`));
  const wire = (recs: ReturnType<typeof rr>[]) => recs.map((r) => ({ rec: r, owner: r.name, ttl: r.ttl }));

  it('drops optional additional records without TC when only they do not fit (RFC 2181 §9)', () => {
    const r = encodeReply(msg, q, 'x.example.com', { rcode: 0, aa: true, answer: wire(many(2)), authority: [], additional: wire(many(60)), referral: false }, { limit: 512 });
    const d = dnsPacket.decode(r.bytes);
    expect(r.truncated).to.equal(false);
    expect(d.answers).to.have.length(2);
    expect(d.additionals).to.have.length(0);
    expect(r.bytes.length).to.be.at.most(512);
  });
  it('sets TC and keeps only the question when a referral\'s glue does not fit', () => {
    const ns = wire(Array.from({ length: 3 }, (_, i) => rr('sub.example.com', 'NS', `ns${i}.sub.example.com`)));
    const r = encodeReply(msg, q, 'x.example.com', { rcode: 0, aa: false, answer: [], authority: ns, additional: wire(many(60)), referral: true }, { limit: 512 });
    const d = dnsPacket.decode(r.bytes) as dnsPacket.Packet & { flag_tc: boolean };
    expect(r.truncated).to.equal(true);
    expect(d.flag_tc).to.equal(true);
    expect(d.questions).to.have.length(1);
    expect(d.authorities).to.have.length(0);
  });
  it('keeps the OPT record last and reports where its RDLENGTH is', () => {
    const r = encodeReply(msg, q, 'x.example.com', { rcode: 0, aa: true, answer: wire(many(1)), authority: [], additional: [], referral: false }, { limit: 1232, edns: { udpSize: 1232, dnssecOk: true } });
    expect(r.optRdlenAt).to.equal(r.bytes.length - 2);
    const opt = dnsPacket.decode(r.bytes).additionals![0] as unknown as { type: string; udpPayloadSize: number; flags: number };
    expect(opt.type).to.equal('OPT');
    expect(opt.udpPayloadSize).to.equal(1232);
    expect(opt.flags & dnsPacket.DNSSEC_OK).to.equal(dnsPacket.DNSSEC_OK);
  });
});
