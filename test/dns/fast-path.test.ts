import { expect } from 'chai';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import type { ClientInfo } from '../../src/dns/dynamic';
import { GeoDatabase } from '../../src/geo/database';
import { AnswerCounts } from '../../src/pick/answer-counts';
import { DatacenterResponder } from '../../src/pick/datacenter-responder';
import type { DcMemberSpec, DcServiceSpec } from '../../src/pick/datacenter-services';
import { seededRandom } from '../../src/pick/random';
import { writeDynamicReply } from '../../src/dns/wire/dynamic-reply';
import { SAMPLE_DB } from '../geo/support';
import { decode, query, silentLogger, testZones } from './helpers';

const pos = { file: 't.delivery', line: 1, col: 1 };
const v6 = (address: string) => ({ address, family: 6 as const, network: `${address}/56`, ttl: 90, pos });
const v4 = (address: string) => ({ address, family: 4 as const, network: `${address}/24`, ttl: 60, pos });
const members = (): DcMemberSpec[] => [
  { name: 'dc1', weight: 30, dynamic: true, pos, targets: [v6('2001:db8:ae21:7700::'), v4('198.51.100.1')] },
  { name: 'dc1b', weight: 10, dynamic: true, pos, location: { lat: 37.4, lon: -122.1 }, targets: [v6('2001:db8:ae21:7800::')] },
  { name: 'dc2', weight: 10, dynamic: true, pos, targets: [v6('2001:db8:478:2800::')] },
  { name: 'dc3', weight: 10, dynamic: true, pos, targets: [v6('2001:db8:c001:e400::')] },
];
/** A member with 40 targets: its AAAA answer does not fit 512 bytes (TC without EDNS). */
const many = (): DcMemberSpec[] => [{ name: 'big', weight: 1, dynamic: true, pos, targets: Array.from({ length: 40 }, (_, i) => v6(`2001:db8:${i.toString(16)}::`)) }];

/** Sets DO in the OPT of a query built by `query` with an ECS or other option (OPT right after the question). */
function withDo(q: Buffer): Buffer {
  const out = Buffer.from(q);
  let i = 12;
  while (out[i] !== 0) i += out[i] + 1;
  out[i + 5 + 7] |= 0x80;
  return out;
}

/** The same query with its question name in mixed case (0x20). */
function mixedCase(q: Buffer): Buffer {
  const out = Buffer.from(q);
  for (let i = 13; out[i] !== 0; i++) if (out[i] >= 0x61 && out[i] <= 0x7a && i % 2 === 0) out[i] -= 0x20;
  return out;
}

describe('dns: the allocation-free path for a dynamic name', () => {
  let geo: GeoDatabase;
  before(() => (geo = GeoDatabase.open(SAMPLE_DB, { watch: false })));
  after(() => geo.close());

  /** One engine with its reply cache (and fast path) and one answering every query in full (query log on). */
  function engines() {
    const make = (queryLog: boolean) => {
      const counts = new AnswerCounts();
      const spec = (name: string, m: DcMemberSpec[], sticky = false): DcServiceSpec => ({ service: name, name, membership: false, options: {}, sticky, pos, members: m });
      const responders = [
        new DatacenterResponder(spec('example.com', members()), { geo, rand: seededRandom(11), counts }),
        new DatacenterResponder(spec('many.example.com', many()), { geo, rand: seededRandom(12), counts }),
        new DatacenterResponder(spec('sticky.example.com', members(), true), { geo, rand: seededRandom(13), counts }),
      ];
      const clients: ClientInfo[] = [];
      for (const r of responders) {
        const select = r.select.bind(r);
        r.select = (t: string, c: ClientInfo) => { clients.push(c); return select(t, c); };
      }
      return { engine: new DnsEngine(new DataSet(testZones(), responders), { logger: silentLogger, queryLog, nsid: 'n1' }), counts, clients };
    };
    return { fast: make(false), full: make(true) };
  }

  const ecs = (family: number, sourcePrefix: number, address: string, o: { udp?: number; name?: string; type?: string; id?: number } = {}) =>
    query(o.name ?? 'example.com', o.type ?? 'AAAA', { id: o.id ?? 7, udp: o.udp, ecs: { family, sourcePrefix, address } });

  const cases: Array<[string, Buffer]> = [
    ['IPv4 /24', ecs(1, 24, '10.1.0.0')],
    ['IPv4 /32 (one host)', ecs(1, 32, '10.2.3.4')],
    ['IPv4 /20 (not byte-aligned)', ecs(1, 20, '10.3.0.0')],
    ['IPv4 /0 (no client information)', ecs(1, 0, '0.0.0.0')],
    ['IPv4 outside the database', ecs(1, 24, '192.0.2.0')],
    ['IPv6 /48', ecs(2, 48, '2001:db8:2::')],
    ['IPv6 /56', ecs(2, 56, '2001:db8:3:100::')],
    ['IPv6 /128', ecs(2, 128, '2001:db8:1::5')],
    ['IPv4-mapped IPv6 /120', ecs(2, 120, '::ffff:10.1.2.0')],
    ['type A', ecs(1, 24, '10.1.0.0', { type: 'A' })],
    ['type A, no A target in the region (fewer records)', ecs(1, 24, '10.3.0.0', { type: 'A' })],
    ['EDNS size 400 (answered as 512)', ecs(1, 24, '10.4.0.0', { udp: 400 })],
    ['EDNS size 4096 (capped)', ecs(2, 48, '2001:db8:1::', { udp: 4096 })],
    ['DO bit', withDo(ecs(1, 24, '10.5.0.0'))],
    ['mixed-case name', mixedCase(ecs(1, 24, '10.1.0.0'))],
    ['no EDNS', query('example.com', 'AAAA', { id: 9 })],
    ['RD clear', query('example.com', 'AAAA', { id: 9, rd: false, udp: 1232 })],
    ['EDNS without options', query('example.com', 'AAAA', { id: 9, udp: 1232 })],
    ['NSID asked (general path)', query('example.com', 'AAAA', { id: 9, options: [{ code: 3 }] })],
    ['ECS with bits past the prefix (FORMERR)', ecs(1, 20, '10.3.15.0')],
    ['EDNS version 1 (BADVERS)', query('example.com', 'AAAA', { version: 1 })],
    ['type TXT at the dynamic name', ecs(1, 24, '10.1.0.0', { type: 'TXT' })],
    ['too big for 512 bytes (TC)', query('many.example.com', 'AAAA', { id: 3 })],
    ['too big, EDNS 1232 (fits)', query('many.example.com', 'AAAA', { id: 3, udp: 1232 })],
    ['sticky pick', ecs(1, 24, '10.2.0.0', { name: 'sticky.example.com' })],
    ['static name', query('www.example.com', 'AAAA', { udp: 1232 })],
  ];

  it('answers every query byte for byte as the general path does, its repeats (reply cache) included', () => {
    const { fast, full } = engines();
    const udp = { tcp: false, address: '192.0.2.1', family: 4 as const };
    for (let round = 0; round < 4; round++) {
      for (const [what, q] of cases) {
        const a = fast.engine.handle(q, udp);
        const b = full.engine.handle(q, udp);
        expect(a, `${what}, round ${round}`).to.deep.equal(b);
      }
    }
    // The same draws were counted on both: one per dynamic answer.
    expect(fast.counts.drain()).to.deep.equal(full.counts.drain());
    const s = fast.engine.stats();
    expect(s.replyCacheHits).to.be.greaterThan(0);
    expect(s.queriesByType).to.deep.equal(full.engine.stats().queriesByType);
    expect(s.repliesByRcode).to.deep.equal(full.engine.stats().repliesByRcode);
    expect(decode(fast.engine.handle(cases[22][1], udp)!).flag_tc).to.equal(true);
  });

  it('writes the header, the OPT (size, DO) and the ECS option (family, source, address, scope) itself', () => {
    const { fast } = engines();
    const udp = { tcp: false, address: '192.0.2.1', family: 4 as const };
    type Opt = { udpPayloadSize: number; flags: number; options: Array<{ code: number; family: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string }> };
    const opt = (b: Buffer) => decode(b).additionals![0] as unknown as Opt;
    const r = fast.engine.handle(withDo(ecs(2, 56, '2001:db8:3:100::', { udp: 4096, id: 0xbeef })), udp)!;
    const d = decode(r);
    expect([d.id, d.flag_aa, d.flag_rd, d.rcode, d.questions![0].name]).to.deep.equal([0xbeef, true, true, 'NOERROR', 'example.com']);
    expect((d.answers![0] as { data: string }).data).to.equal('2001:db8:c001:e400::');
    expect(opt(r).udpPayloadSize).to.equal(1232);
    expect(opt(r).flags & 0x8000, 'DO').to.equal(0x8000);
    const o = opt(r).options[0];
    expect([o.code, o.family, o.sourcePrefixLength, o.ip]).to.deep.equal([8, 2, 56, '2001:db8:3:100::']);
    expect(o.scopePrefixLength).to.be.within(1, 56);
    const plain = opt(fast.engine.handle(ecs(1, 32, '10.1.0.9'), udp)!);
    expect(plain.flags & 0x8000, 'no DO').to.equal(0);
    expect([plain.options[0].family, plain.options[0].sourcePrefixLength, plain.options[0].ip]).to.deep.equal([1, 32, '10.1.0.9']);
    const noRd = decode(fast.engine.handle(query('example.com', 'AAAA', { rd: false }), udp)!);
    expect([noRd.flag_rd, noRd.additionals ?? []]).to.deep.equal([false, []]);
  });

  it('reads a first-seen client from the bytes (one reused client, its ECS text made only on demand)', () => {
    const { fast } = engines();
    const udp = { tcp: false, address: '192.0.2.1', family: 4 as const };
    for (let i = 0; i < 20; i++) fast.engine.handle(ecs(1, 32, `10.1.0.${i}`), udp);
    expect(fast.clients).to.have.length(20);
    expect(new Set(fast.clients).size, 'one ClientInfo object for every query').to.equal(1);
    const c = fast.clients[0];
    expect(c.ecs?.sourcePrefix).to.equal(32);
    expect([...(c.ecs?.bytes ?? [])]).to.deep.equal([10, 1, 0, 19]);
    expect(c.ecs?.address).to.equal('10.1.0.19');
  });

  it('answers into a buffer at an offset and leaves the bytes around it alone', () => {
    const { fast, full } = engines();
    const udp = { tcp: false, address: '192.0.2.1', family: 4 as const };
    const q = ecs(2, 48, '2001:db8:2::', { id: 0x1234 });
    const ring = Buffer.alloc(100 + q.length, 0xaa);
    q.copy(ring, 100);
    const out = Buffer.alloc(70_000, 0xbb);
    const n = fast.engine.answerAt(ring, 100, 100 + q.length, udp, out, 5);
    const want = full.engine.handle(q, udp)!;
    expect(n).to.equal(want.length);
    expect(out.subarray(5, 5 + n)).to.deep.equal(want);
    expect(out[4]).to.equal(0xbb);
    expect(out[5 + n]).to.equal(0xbb);
  });

  it('writeDynamicReply refuses types that need names, replies over the limit and replies past the buffer', () => {
    const q = query('example.com', 'AAAA', { udp: 1232 });
    const rec = { name: 'example.com', type: 'AAAA', class: 'IN' as const, ttl: 60, data: '2001:db8::1', pos };
    const qEnd = q.length - 11;
    const out = Buffer.alloc(200);
    expect(writeDynamicReply(out, 0, q, 0, qEnd, [rec], 512, 1232, false, 0, -1, q, 0, 0)).to.equal(qEnd + 28 + 11);
    expect(writeDynamicReply(out, 0, q, 0, qEnd, [{ ...rec, type: 'CNAME', data: 'x.example.com' }], 512, 1232, false, 0, -1, q, 0, 0)).to.equal(-1);
    expect(writeDynamicReply(out, 0, q, 0, qEnd, [rec], qEnd + 38, 1232, false, 0, -1, q, 0, 0)).to.equal(-1);
    expect(writeDynamicReply(out, 200 - (qEnd + 38), q, 0, qEnd, [rec], 512, 1232, false, 0, -1, q, 0, 0)).to.equal(-1);
  });
});
