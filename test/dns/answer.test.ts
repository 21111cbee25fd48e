import { expect } from 'chai';
import * as dnsPacket from 'dns-packet';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet, DataSetError } from '../../src/dns/store';
import type { DynamicResponder, ClientInfo } from '../../src/dns/dynamic';
import { decode, query, rr, silentLogger, testZones, zone } from './helpers';
import type { Reply } from './helpers';

const udp = { tcp: false, address: '192.0.2.200', family: 4 as const };
const tcp = { ...udp, tcp: true };

function engine(dynamic: DynamicResponder[] = []): DnsEngine {
  return new DnsEngine(new DataSet(testZones(), dynamic), { logger: silentLogger });
}
function ask(e: DnsEngine, msg: Buffer, ctx = udp): Reply {
  const r = e.handle(msg, ctx);
  expect(r, 'a reply').to.not.equal(undefined);
  return decode(r as Buffer);
}
const names = (rs: dnsPacket.Answer[] | undefined): string[] => (rs ?? []).map((a) => `${a.name} ${a.type}`);
const soaTtl = (r: Reply): number | undefined => r.authorities?.find((a) => a.type === 'SOA')?.ttl;

describe('dns answers (table)', () => {
  const e = engine();
  const cases: Array<{ what: string; q: [string, string]; rcode: string; aa: boolean; answer?: string[]; authority?: string[]; additional?: string[]; negTtl?: number }> = [
    { what: 'SOA at the apex', q: ['example.com', 'SOA'], rcode: 'NOERROR', aa: true, answer: ['example.com SOA'] },
    { what: 'A', q: ['www.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['www.example.com A'] },
    { what: 'NS with in-zone addresses in additional', q: ['example.com', 'NS'], rcode: 'NOERROR', aa: true, answer: ['example.com NS'], additional: ['ns1.example.com A'] },
    { what: 'MX with the exchange address in additional', q: ['example.com', 'MX'], rcode: 'NOERROR', aa: true, answer: ['example.com MX'], additional: ['mail.example.com A'] },
    { what: 'SRV with the target address in additional', q: ['_sip._udp.example.com', 'SRV'], rcode: 'NOERROR', aa: true, answer: ['_sip._udp.example.com SRV'], additional: ['sip.example.com AAAA'] },
    { what: 'NXDOMAIN with SOA, TTL min(3600, 60)', q: ['nope.example.com', 'A'], rcode: 'NXDOMAIN', aa: true, authority: ['example.com SOA'], negTtl: 60 },
    { what: 'NODATA with SOA', q: ['www.example.com', 'MX'], rcode: 'NOERROR', aa: true, answer: [], authority: ['example.com SOA'], negTtl: 60 },
    { what: 'REFUSED outside every zone', q: ['www.example.org', 'A'], rcode: 'REFUSED', aa: false, answer: [] },
    { what: 'REFUSED for a parent of a zone', q: ['com', 'NS'], rcode: 'REFUSED', aa: false },
    { what: 'CNAME chain followed in the zone', q: ['old.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['old.example.com CNAME', 'alias.example.com CNAME', 'www.example.com A'] },
    { what: 'CNAME asked for itself is not followed', q: ['alias.example.com', 'CNAME'], rcode: 'NOERROR', aa: true, answer: ['alias.example.com CNAME'] },
    { what: 'CNAME loop stops', q: ['loop1.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['loop1.example.com CNAME', 'loop2.example.com CNAME'] },
    { what: 'CNAME out of the zone is not followed', q: ['out.example.com', 'A'], rcode: 'NOERROR', aa: true, answer: ['out.example.com CNAME'] },
    { what: 'CNAME to a missing name: NXDOMAIN for the target (RFC 6604)', q: ['dangling.example.com', 'A'], rcode: 'NXDOMAIN', aa: true, answer: ['dangling.example.com CNAME'], authority: ['example.com SOA'] },
    { what: 'CNAME chain ending in NODATA', q: ['alias.example.com', 'MX'], rcode: 'NOERROR', aa: true, answer: ['alias.example.com CNAME'], authority: ['example.com SOA'] },
    { what: 'wildcard synthesis (closest encloser = apex)', q: ['x.wild.test', 'A'], rcode: 'NOERROR', aa: true, answer: ['x.wild.test A'] },
    { what: 'wildcard for a deeper name', q: ['p.q.wild.test', 'A'], rcode: 'NOERROR', aa: true, answer: ['p.q.wild.test A'] },
    { what: 'wildcard NODATA for a missing type', q: ['x.wild.test', 'AAAA'], rcode: 'NOERROR', aa: true, answer: [], authority: ['wild.test SOA'] },
    { what: 'empty non-terminal blocks the wildcard: NODATA', q: ['b.wild.test', 'A'], rcode: 'NOERROR', aa: true, answer: [], authority: ['wild.test SOA'] },
    { what: 'below an empty non-terminal without its own wildcard: NXDOMAIN', q: ['x.b.wild.test', 'A'], rcode: 'NXDOMAIN', aa: true, authority: ['wild.test SOA'] },
    { what: 'wildcard CNAME is synthesized and followed', q: ['z.c.wild.test', 'A'], rcode: 'NOERROR', aa: true, answer: ['z.c.wild.test CNAME', 'a.b.wild.test A'] },
    { what: 'referral at the cut: NS in authority, glue, AA=0', q: ['sub.example.com', 'A'], rcode: 'NOERROR', aa: false, answer: [], authority: ['sub.example.com NS'], additional: ['ns.sub.example.com A'] },
    { what: 'referral below the cut', q: ['deep.x.sub.example.com', 'AAAA'], rcode: 'NOERROR', aa: false, answer: [], authority: ['sub.example.com NS'], additional: ['ns.sub.example.com A'] },
    { what: 'glue itself is answered as a referral', q: ['ns.sub.example.com', 'A'], rcode: 'NOERROR', aa: false, authority: ['sub.example.com NS'] },
    { what: 'DS at the cut answered by the parent (NODATA, AA)', q: ['sub.example.com', 'DS'], rcode: 'NOERROR', aa: true, answer: [], authority: ['example.com SOA'] },
    { what: 'minimal ANY: one RRset (RFC 8482)', q: ['www.example.com', 'ANY'], rcode: 'NOERROR', aa: true, answer: ['www.example.com A'] },
    { what: 'ANY at an empty non-terminal: NODATA', q: ['b.wild.test', 'ANY'], rcode: 'NOERROR', aa: true, answer: [], authority: ['wild.test SOA'] },
    { what: 'AXFR is refused', q: ['example.com', 'AXFR'], rcode: 'REFUSED', aa: false },
  ];
  for (const c of cases) {
    it(`${c.what}: ${c.q.join(' ')} → ${c.rcode}`, () => {
      const r = ask(e, query(c.q[0], c.q[1]));
      expect(r.rcode).to.equal(c.rcode);
      expect(r.flag_aa).to.equal(c.aa);
      expect(r.flag_ra).to.equal(false);
      expect(r.flag_rd).to.equal(true);
      if (c.answer) expect(names(r.answers)).to.deep.equal(c.answer);
      if (c.authority) expect(names(r.authorities)).to.deep.equal(c.authority);
      if (c.additional) expect(names(r.additionals)).to.deep.equal(c.additional);
      if (c.negTtl !== undefined) expect(soaTtl(r)).to.equal(c.negTtl);
    });
  }

  it('copies RD=0 and echoes the question exactly as asked (0x20), twice (cache hit)', () => {
    for (let i = 0; i < 2; i++) {
      const q = query('wWw.EXample.CoM', 'A', { rd: false, id: 100 + i });
      const raw = e.handle(q, udp) as Buffer;
      const r = decode(raw);
      expect(r.id).to.equal(100 + i);
      expect(r.flag_rd).to.equal(false);
      expect(r.questions?.[0].name).to.equal('wWw.EXample.CoM');
      expect(raw.subarray(12, 12 + 17).equals(q.subarray(12, 12 + 17))).to.equal(true);
      expect((r.answers?.[0] as { data: string }).data).to.equal('192.0.2.1');
    }
    expect(e.stats().cacheHits).to.be.greaterThan(0);
  });

  it('compresses names: the reply is smaller than its uncompressed encoding and points at the question', () => {
    const raw = e.handle(query('example.com', 'MX'), udp) as Buffer;
    const uncompressed = dnsPacket.encode(dnsPacket.decode(raw));
    expect(raw.length).to.be.lessThan(uncompressed.length);
    expect(raw.includes(Buffer.from([0xc0, 0x0c]))).to.equal(true);
  });
});

describe('dns answers: EDNS, truncation, ECS', () => {
  const e = engine();
  const opt = (r: Reply): (dnsPacket.Answer & { udpPayloadSize?: number; extendedRcode?: number; flags?: number; options?: Array<Record<string, unknown>> }) | undefined =>
    r.additionals?.find((a) => a.type === 'OPT') as never;

  it('adds OPT only when the query had one, advertising 1232', () => {
    expect(opt(ask(e, query('www.example.com', 'A')))).to.equal(undefined);
    expect(opt(ask(e, query('www.example.com', 'A', { udp: 4096 })))?.udpPayloadSize).to.equal(1232);
  });
  it('truncates without EDNS at 512 bytes: TC=1, question kept, no records', () => {
    const raw = e.handle(query('big.example.com', 'TXT'), udp) as Buffer;
    const r = decode(raw);
    expect(r.flag_tc).to.equal(true);
    expect(raw.length).to.be.at.most(512);
    expect(r.questions?.[0].name).to.equal('big.example.com');
    expect(r.answers).to.have.length(0);
  });
  it('honours a client size below 512 as 512 and caps a large one at maxUdpSize', () => {
    const small = e.handle(query('example.com', 'SOA', { udp: 100 }), udp) as Buffer;
    expect(decode(small).flag_tc).to.equal(false);
    const big = decode(e.handle(query('big.example.com', 'TXT', { udp: 65000 }), udp) as Buffer);
    expect(big.flag_tc).to.equal(true);
    const roomy = new DnsEngine(new DataSet(testZones()), { logger: silentLogger, maxUdpSize: 4096 });
    const fits = decode(roomy.handle(query('big.example.com', 'TXT', { udp: 4096 }), udp) as Buffer);
    expect(fits.flag_tc).to.equal(false);
    expect(fits.answers).to.have.length(1);
  });
  it('keeps cached replies apart by transport, OPT presence and DO bit', () => {
    const c = engine();
    const withDo = query('www.example.com', 'A', { udp: 1232 });
    withDo[withDo.length - 4] |= 0x80; // OPT TTL: DO bit
    for (const ctx of [tcp, udp]) {
      expect(opt(ask(c, query('www.example.com', 'A'), ctx)), 'no OPT without EDNS').to.equal(undefined);
      expect(opt(ask(c, query('www.example.com', 'A', { udp: 1232 }), ctx))?.flags, 'OPT without DO').to.equal(0);
      expect(opt(ask(c, withDo, ctx))?.flags, 'OPT with DO').to.equal(0x8000);
      expect(opt(ask(c, query('www.example.com', 'A'), ctx)), 'still no OPT without EDNS').to.equal(undefined);
    }
  });
  it('sends the whole answer over TCP', () => {
    const r = ask(e, query('big.example.com', 'TXT'), tcp);
    expect(r.flag_tc).to.equal(false);
    expect(r.answers).to.have.length(1);
  });
  it('answers EDNS version 1 with BADVERS (extended RCODE 16) and OPT version 0', () => {
    const raw = e.handle(query('www.example.com', 'A', { version: 1, id: 9 }), udp) as Buffer;
    const r = decode(raw);
    expect(r.id).to.equal(9);
    expect(raw[3] & 0x0f).to.equal(0);
    expect(opt(r)?.extendedRcode).to.equal(1);
    expect(r.questions?.[0].name).to.equal('www.example.com');
  });
  it('echoes ECS family/source/address with scope 0 for static answers', () => {
    const r = ask(e, query('www.example.com', 'A', { ecs: { family: 1, sourcePrefix: 24, address: '198.51.100.0' } }));
    const o = opt(r)?.options?.find((x) => x.code === 8);
    expect(o).to.include({ family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '198.51.100.0' });
    const again = ask(e, query('www.example.com', 'A', { ecs: { family: 2, sourcePrefix: 56, address: '2001:db8:ae21:7700::' } }));
    expect(opt(again)?.options?.find((x) => x.code === 8)).to.include({ family: 2, sourcePrefixLength: 56, scopePrefixLength: 0 });
  });
  it('answers malformed queries with FORMERR/NOTIMP carrying the ID, and drops responses', () => {
    const q = query('www.example.com', 'A', { id: 0xbeef });
    const twoQ = Buffer.from(q);
    twoQ.writeUInt16BE(2, 4);
    const formerr = e.handle(twoQ, udp) as Buffer;
    expect(formerr.readUInt16BE(0)).to.equal(0xbeef);
    expect(formerr[3] & 0x0f).to.equal(1);
    const status = Buffer.from(q);
    status[2] = (status[2] & 0x87) | (2 << 3);
    const notimp = e.handle(status, udp) as Buffer;
    expect(notimp.readUInt16BE(0)).to.equal(0xbeef);
    expect(notimp[3] & 0x0f).to.equal(4);
    expect((notimp[2] >> 3) & 0xf).to.equal(2);
    const resp = Buffer.from(q);
    resp[2] |= 0x80;
    expect(e.handle(resp, udp)).to.equal(undefined);
    expect(e.stats().dropped).to.equal(1);
  });
  it('counts queries by type and replies by rcode', () => {
    const c = engine();
    c.handle(query('www.example.com', 'A'), udp);
    c.handle(query('nope.example.com', 'AAAA'), udp);
    const s = c.stats();
    expect(s.queriesByType).to.include({ A: 1, AAAA: 1 });
    expect(s.repliesByRcode).to.include({ NOERROR: 1, NXDOMAIN: 1 });
  });
});

describe('dns answers: dynamic responders and updates', () => {
  const seen: ClientInfo[] = [];
  const picker: DynamicResponder = {
    name: 'api.example.com',
    answer(qtype, client) {
      seen.push(client);
      if (qtype === 'AAAA') return { records: [rr('api.example.com', 'AAAA', client.ecs ? '2001:db8:1::1' : '2001:db8:2::1', 30)], scopePrefix: client.ecs ? 20 : 0 };
      if (qtype === 'A') return { records: [], scopePrefix: 0 };
      return undefined;
    },
  };
  const e = engine([picker]);

  it('answers a dynamic name with the responder records, AA, and the ECS scope it gives', () => {
    const r = ask(e, query('API.example.com', 'AAAA', { ecs: { family: 1, sourcePrefix: 24, address: '198.51.100.0' } }));
    expect(r.flag_aa).to.equal(true);
    expect(r.questions?.[0].name).to.equal('API.example.com');
    expect((r.answers?.[0] as { data: string }).data).to.equal('2001:db8:1::1');
    const o = (r.additionals?.find((a) => a.type === 'OPT') as unknown as { options: Array<Record<string, unknown>> }).options.find((x) => x.code === 8);
    expect(o).to.include({ scopePrefixLength: 20, sourcePrefixLength: 24 });
    expect(seen.at(-1)).to.deep.equal({ address: '192.0.2.200', family: 4, ecs: { family: 1, sourcePrefix: 24, address: '198.51.100.0', bytes: Buffer.from([198, 51, 100]) } });
  });
  it('is not cached: the next client gets its own pick', () => {
    const r = ask(e, query('api.example.com', 'AAAA'));
    expect((r.answers?.[0] as { data: string }).data).to.equal('2001:db8:2::1');
  });
  it('empty records are NODATA with the SOA; undefined falls through to static data', () => {
    const nodata = ask(e, query('api.example.com', 'A'));
    expect(nodata.rcode).to.equal('NOERROR');
    expect(nodata.answers).to.have.length(0);
    expect(names(nodata.authorities)).to.deep.equal(['example.com SOA']);
    const stat = ask(e, query('api.example.com', 'TXT'));
    expect(names(stat.answers)).to.deep.equal(['api.example.com TXT']);
  });
  it('a CNAME into a dynamic name is followed to the pick, and never cached', () => {
    let addr: string | undefined = '2001:db8:3::1';
    const flip: DynamicResponder = { name: 'www.example.com', answer: (qtype) => (qtype === 'AAAA' && addr ? { records: [rr('www.example.com', 'AAAA', addr, 30)], scopePrefix: 0 } : undefined) };
    const f = engine([flip]);
    const first = ask(f, query('alias.example.com', 'AAAA'));
    expect(names(first.answers)).to.deep.equal(['alias.example.com CNAME', 'www.example.com AAAA']);
    addr = undefined;
    const fallback = ask(f, query('alias.example.com', 'AAAA'));
    expect((fallback.answers?.[1] as { data: string }).data).to.equal('2001:db8::1');
    addr = '2001:db8:4::1';
    const again = ask(f, query('alias.example.com', 'AAAA'));
    expect((again.answers?.[1] as { data: string }).data).to.equal('2001:db8:4::1');
  });
  it('asks the responder once per query, truncates a large pick over UDP and sends it whole over TCP', () => {
    let calls = 0;
    const many = Array.from({ length: 100 }, (_, i) => rr('many.example.com', 'AAAA', `2001:db8::${(i + 1).toString(16)}`, 30));
    const counting: DynamicResponder = { name: 'many.example.com', answer: (qtype) => { calls++; return qtype === 'AAAA' ? { records: many, scopePrefix: 0 } : { records: [], scopePrefix: 0 }; } };
    const c = engine([counting]);
    const viaUdp = ask(c, query('many.example.com', 'AAAA', { rd: false }));
    expect(viaUdp.flag_tc).to.equal(true);
    expect(viaUdp.flag_aa).to.equal(true);
    expect(viaUdp.flag_rd).to.equal(false);
    expect(viaUdp.answers).to.have.length(0);
    const viaTcp = ask(c, query('many.example.com', 'AAAA'), tcp);
    expect(viaTcp.flag_tc).to.equal(false);
    expect(viaTcp.answers).to.have.length(100);
    expect((viaTcp.answers?.[99] as { data: string }).data).to.equal('2001:db8::64');
    const nodata = ask(c, query('many.example.com', 'A'));
    expect(names(nodata.authorities)).to.deep.equal(['example.com SOA']);
    expect(calls).to.equal(3);
  });
  it('rejects a dynamic name outside every zone or below a cut', () => {
    expect(() => new DataSet(testZones(), [{ ...picker, name: 'api.example.org' }])).to.throw(DataSetError, /not inside a served zone/);
    expect(() => new DataSet(testZones(), [{ ...picker, name: 'x.sub.example.com' }])).to.throw(DataSetError, /delegation sub.example.com/);
  });
  it('update() swaps the data and drops cached replies', () => {
    const u = engine();
    expect(ask(u, query('www.example.com', 'A')).answers).to.have.length(1);
    u.update(new DataSet([zone('example.com', [rr('www.example.com', 'A', '192.0.2.7')])]));
    expect((ask(u, query('www.example.com', 'A')).answers?.[0] as { data: string }).data).to.equal('192.0.2.7');
  });
});

describe('dns answers: malformed messages through the engine (exact replies)', () => {
  const e = engine();
  const base = query('www.example.com', 'A', { id: 0x0a0b });
  const withOpt = query('www.example.com', 'A', { id: 0x0a0b, udp: 1232 });
  const mutate = (b: Buffer, f: (c: Buffer) => void): Buffer => {
    const c = Buffer.from(b);
    f(c);
    return c;
  };
  const cases: Array<{ what: string; pkt: Buffer; want: 'drop' | { rcode: number; opcode?: number; rd?: boolean; qd?: number; ar?: number } }> = [
    { what: 'empty', pkt: Buffer.alloc(0), want: 'drop' },
    { what: 'header cut at 11 bytes', pkt: base.subarray(0, 11), want: 'drop' },
    { what: 'QR=1', pkt: mutate(base, (c) => (c[2] |= 0x80)), want: 'drop' },
    { what: 'opcode IQUERY (1)', pkt: mutate(base, (c) => (c[2] = (c[2] & 0x87) | (1 << 3))), want: { rcode: 4, opcode: 1, rd: true, qd: 1 } },
    { what: 'opcode NOTIFY (4)', pkt: mutate(base, (c) => (c[2] = (4 << 3))), want: { rcode: 4, opcode: 4, rd: false, qd: 1 } },
    { what: 'opcode UPDATE (5)', pkt: mutate(base, (c) => (c[2] = (5 << 3) | 1)), want: { rcode: 4, opcode: 5, rd: true, qd: 1 } },
    { what: 'header only', pkt: base.subarray(0, 12), want: { rcode: 1 } },
    { what: 'QDCOUNT 0 with a question', pkt: mutate(base, (c) => c.writeUInt16BE(0, 4)), want: { rcode: 1 } },
    { what: 'QDCOUNT 3', pkt: mutate(base, (c) => c.writeUInt16BE(3, 4)), want: { rcode: 1 } },
    { what: 'question cut in the name', pkt: base.subarray(0, 18), want: { rcode: 1 } },
    { what: 'question without QCLASS', pkt: base.subarray(0, base.length - 2), want: { rcode: 1 } },
    { what: 'ANCOUNT 1 without a record', pkt: mutate(base, (c) => c.writeUInt16BE(1, 6)), want: { rcode: 1, qd: 1 } },
    { what: 'OPT RDLENGTH past the end', pkt: mutate(withOpt, (c) => c.writeUInt16BE(50, c.length - 2)), want: { rcode: 1, qd: 1 } },
    { what: 'a second OPT', pkt: mutate(Buffer.concat([withOpt, withOpt.subarray(withOpt.length - 11)]), (c) => c.writeUInt16BE(2, 10)), want: { rcode: 1, qd: 1, ar: 1 } },
    { what: 'garbage after the message', pkt: Buffer.concat([base, Buffer.from('junk')]), want: { rcode: 1, qd: 1 } },
    // RFC 6891 §7: the OPT is echoed on errors whenever the query's OPT could be read.
    { what: 'garbage after a query with OPT', pkt: Buffer.concat([withOpt, Buffer.from('junk')]), want: { rcode: 1, qd: 1, ar: 1 } },
    { what: 'opcode NOTIFY with OPT', pkt: mutate(withOpt, (c) => (c[2] = (4 << 3))), want: { rcode: 4, opcode: 4, qd: 1, ar: 1 } },
    { what: 'QDCOUNT 0 with only an OPT', pkt: Buffer.concat([mutate(base.subarray(0, 12), (c) => { c.writeUInt16BE(0, 4); c.writeUInt16BE(1, 10); }), withOpt.subarray(withOpt.length - 11)]), want: { rcode: 1, ar: 1 } },
    { what: 'QTYPE OPT (41) as the question', pkt: mutate(base, (c) => c.writeUInt16BE(41, c.length - 4)), want: { rcode: 1, qd: 1 } },
    { what: 'QTYPE MAILB (253)', pkt: mutate(base, (c) => c.writeUInt16BE(253, c.length - 4)), want: { rcode: 4, qd: 1 } },
    { what: 'class CH', pkt: mutate(base, (c) => c.writeUInt16BE(3, c.length - 2)), want: { rcode: 5, qd: 1 } },
  ];
  for (const c of cases) {
    it(`${c.what} → ${c.want === 'drop' ? 'dropped' : `rcode ${c.want.rcode}`}`, () => {
      const r = e.handle(c.pkt, udp);
      if (c.want === 'drop') {
        expect(r).to.equal(undefined);
        return;
      }
      expect(r, 'a reply').to.not.equal(undefined);
      const b = r as Buffer;
      expect(b.readUInt16BE(0), 'ID').to.equal(0x0a0b);
      expect(b[2] & 0x80, 'QR').to.equal(0x80);
      expect(b[3] & 0x0f, 'RCODE').to.equal(c.want.rcode);
      expect(b[3] & 0x80, 'RA').to.equal(0);
      if (c.want.opcode !== undefined) expect((b[2] >> 3) & 0x0f, 'opcode').to.equal(c.want.opcode);
      if (c.want.rd !== undefined) expect(b[2] & 0x01, 'RD').to.equal(c.want.rd ? 1 : 0);
      expect(b.readUInt16BE(4), 'QDCOUNT').to.equal(c.want.qd ?? 0);
      expect(b.readUInt16BE(10), 'ARCOUNT (OPT)').to.equal(c.want.ar ?? 0);
      if (!c.want.qd && !c.want.ar) expect(b.length, 'header only').to.equal(12);
      if (c.want.ar) {
        const opt = decode(b).additionals?.[0] as unknown as { type: string; udpPayloadSize: number };
        expect(opt.type).to.equal('OPT');
      }
    });
  }
});
