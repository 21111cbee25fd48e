import { expect } from 'chai';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import type { ClientInfo } from '../../src/dns/dynamic';
import { ReplyCache, REPLY_CACHE_LIMIT, hashQuery, writeWithId } from '../../src/dns/reply-cache';
import { GeoDatabase } from '../../src/geo/database';
import { DatacenterResponder } from '../../src/pick/datacenter-responder';
import type { DcMemberSpec, DcServiceSpec } from '../../src/pick/datacenter-services';
import { seededRandom } from '../../src/pick/random';
import type { MemberLiveState, MemberStateSource } from '../../src/pick/types';
import { AnswerCounts } from '../../src/pick/answer-counts';
import { SAMPLE_DB } from '../geo/support';
import { decode, query, rr, silentLogger, testZones } from './helpers';

const pos = { file: 't.delivery', line: 1, col: 1 };
const member = (name: string, v6: string, weight: number, location?: { lat: number; lon: number }): DcMemberSpec => ({
  name, weight, dynamic: true, pos, location,
  targets: [{ address: v6, family: 6, network: `${v6}/56`, ttl: 90, pos }],
});

/** A member state source whose states the test changes (each change bumps the version). */
class States implements MemberStateSource {
  version = 1;
  private readonly m = new Map<string, MemberLiveState>();
  get(_tier: string, _service: string, name: string): MemberLiveState | undefined {
    return this.m.get(name);
  }
  set(name: string, s: MemberLiveState): void {
    this.m.set(name, s);
    this.version++;
  }
}

const udp = (address: string) => ({ tcp: false, address, family: 4 as const });
const ecsQuery = (address: string, id = 1, name = 'example.com') => query(name, 'AAAA', { id, ecs: { family: 1, sourcePrefix: 24, address } });
const data = (b: Buffer | undefined): string => String((decode(b!).answers?.[0] as { data: string } | undefined)?.data);

describe('dns reply cache: repeated queries keep their own draw', () => {
  let geo: GeoDatabase;
  let west: { lat: number; lon: number };
  before(() => {
    geo = GeoDatabase.open(SAMPLE_DB, { watch: false });
    west = geo.lookup('10.1.0.1').location!;
  });
  after(() => geo.close());

  /** west-a (weight 30) and west-b (weight 10) share us-west; asia is placed by its block. */
  function setup(extra: Partial<DcServiceSpec> = {}) {
    const spec: DcServiceSpec = {
      service: 'my-service', name: 'example.com', membership: false, options: {}, sticky: false, pos,
      members: [member('west-a', '2001:db8:a::', 30, west), member('west-b', '2001:db8:b::', 10, west), member('asia', '2001:db8:c001:e400::', 10)],
      ...extra,
    };
    const state = new States();
    const counts = new AnswerCounts();
    const responder = new DatacenterResponder(spec, { geo, state, counts, rand: seededRandom(7) });
    let selects = 0;
    const select = responder.select.bind(responder);
    responder.select = (t: string, c: ClientInfo) => { selects++; return select(t, c); };
    const engine = new DnsEngine(new DataSet(testZones(), [responder]), { logger: silentLogger });
    return { engine, state, counts, selects: () => selects };
  }

  it('draws per query by weight from one kept selection (20,000 identical queries, shares within 2 %)', () => {
    const { engine, counts, selects } = setup();
    const msg = ecsQuery('10.1.0.0');
    const got = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      msg.writeUInt16BE(i & 0xffff, 0);
      const reply = engine.handle(msg, udp('192.0.2.1'))!;
      expect(reply.readUInt16BE(0)).to.equal(i & 0xffff);
      const a = data(reply);
      got.set(a, (got.get(a) ?? 0) + 1);
    }
    expect([...got.keys()].sort()).to.deep.equal(['2001:db8:a::', '2001:db8:b::']);
    expect(got.get('2001:db8:a::')! / 20_000).to.be.closeTo(0.75, 0.02);
    // Kept from its second sighting: the selection is asked for at most twice.
    expect(selects()).to.be.within(1, 2);
    const drained = Object.fromEntries(counts.drain().map((c) => [c.member, c.n]));
    expect(drained['west-a'] + drained['west-b']).to.equal(20_000);
    expect(engine.stats().queriesByType.AAAA).to.equal(20_000);
    expect(engine.stats().replyCacheHits).to.be.within(19_990, 19_998);
  });

  it('a member state change is seen by the very next identical query (spill-over off)', () => {
    const { engine, state } = setup({ options: { spillOver: false } });
    const msg = ecsQuery('10.1.0.0');
    for (let i = 0; i < 10; i++) expect(data(engine.handle(msg, udp('192.0.2.1')))).to.match(/^2001:db8:[ab]::$/);
    state.set('west-a', { present: true, ready: false, factor: 0 });
    for (let i = 0; i < 10; i++) expect(data(engine.handle(msg, udp('192.0.2.1')))).to.equal('2001:db8:b::');
    state.set('west-b', { present: false, ready: false, factor: 0 });
    expect(data(engine.handle(msg, udp('192.0.2.1')))).to.equal('2001:db8:c001:e400::');
  });

  it('capacity spill-over through the cache: each subnet keeps its landing group, and follows the next state change', () => {
    const { engine, state } = setup();
    // west-a (30 of 40) not ready: us-west keeps 25 % of its subnets (on west-b), the rest go to asia.
    state.set('west-a', { present: true, ready: false, factor: 0 });
    const subnets = Array.from({ length: 40 }, (_, i) => `10.1.${i}.0`);
    const first = subnets.map((s) => data(engine.handle(ecsQuery(s), udp('192.0.2.1'))));
    expect(new Set(first)).to.deep.equal(new Set(['2001:db8:b::', '2001:db8:c001:e400::']));
    for (let round = 0; round < 3; round++) expect(subnets.map((s) => data(engine.handle(ecsQuery(s), udp('192.0.2.1'))))).to.deep.equal(first);
    // Scope: the decision depended on the /24 (hashed), not only on the /16 geo network.
    const reply = decode(engine.handle(ecsQuery(subnets[0]), udp('192.0.2.1'))!);
    expect(JSON.stringify(reply.additionals)).to.contain('"scopePrefixLength":24');
    state.set('west-a', { present: true, ready: true, factor: 1 });
    expect(subnets.every((s) => /^2001:db8:[ab]::$/.test(data(engine.handle(ecsQuery(s), udp('192.0.2.1')))))).to.equal(true);
  });

  it('without ECS the querying address places the client, even for identical bytes', () => {
    const { engine } = setup();
    const msg = query('example.com', 'AAAA', { udp: 1232 });
    for (let i = 0; i < 3; i++) {
      expect(data(engine.handle(msg, udp('10.3.0.9')))).to.equal('2001:db8:c001:e400::');
      expect(data(engine.handle(msg, udp('10.1.0.9')))).to.match(/^2001:db8:[ab]::$/);
    }
  });

  it('ECS from another region is another query: its own placement and scope', () => {
    const { engine } = setup();
    for (let i = 0; i < 3; i++) {
      const asia = decode(engine.handle(ecsQuery('10.3.0.0'), udp('192.0.2.1'))!);
      expect((asia.answers?.[0] as { data: string }).data).to.equal('2001:db8:c001:e400::');
      expect(data(engine.handle(ecsQuery('10.1.0.0'), udp('192.0.2.1')))).to.match(/^2001:db8:[ab]::$/);
    }
  });

  it('keeps the letter case and flags of each query (they are part of what is kept)', () => {
    const { engine } = setup();
    for (const [name, rd] of [['example.com', true], ['ExAmPlE.CoM', true], ['example.com', false], ['ExAmPlE.CoM', false]] as const) {
      for (let i = 0; i < 2; i++) {
        const r = decode(engine.handle(query(name, 'AAAA', { rd, ecs: { family: 1, sourcePrefix: 24, address: '10.3.0.0' } }), udp('192.0.2.1'))!);
        expect(r.questions?.[0].name).to.equal(name);
        expect(r.flag_rd).to.equal(rd);
        expect(r.flag_aa).to.equal(true);
      }
    }
  });

  it('sticky: the same subnet keeps its member across queries answered from the kept selection', () => {
    const { engine } = setup({ sticky: true });
    const first = data(engine.handle(ecsQuery('10.1.0.0'), udp('192.0.2.1')));
    for (let i = 0; i < 50; i++) expect(data(engine.handle(ecsQuery('10.1.0.0', i), udp('192.0.2.1')))).to.equal(first);
  });

  it('static replies: a repeat is a cache hit with its own ID; update() drops them', () => {
    const e = new DnsEngine(new DataSet(testZones()), { logger: silentLogger });
    const a = e.handle(query('www.example.com', 'A', { id: 1 }), udp('192.0.2.1'))!;
    const b = e.handle(query('www.example.com', 'A', { id: 2 }), udp('192.0.2.1'))!;
    expect(b.readUInt16BE(0)).to.equal(2);
    expect(b.subarray(2)).to.deep.equal(a.subarray(2));
    expect(e.stats().cacheHits).to.equal(1);
    expect(e.stats().replyCacheHits).to.equal(0); // kept from the second sighting, answered from it on the third
    e.handle(query('www.example.com', 'A', { id: 9 }), udp('192.0.2.1'));
    expect(e.stats().replyCacheHits).to.equal(1);
    e.update(new DataSet(testZones().map((z) => ({ ...z, records: z.records.map((r) => (r.name === 'www.example.com' && r.type === 'A' ? rr(r.name, 'A', '192.0.2.77') : r)) }))));
    expect(data(e.handle(query('www.example.com', 'A', { id: 3 }), udp('192.0.2.1')))).to.equal('192.0.2.77');
  });

  it('is bounded, keeps a query from its second sighting, and skips queries it does not keep', () => {
    const c = new ReplyCache();
    const q = (i: number, id = 1) => query(`k${i}.example.com`, 'A', { id });
    for (let i = 0; i <= REPLY_CACHE_LIMIT; i++) c.setFixed(c.key(q(i)), q(i), Buffer.alloc(20), 1, 0, false);
    expect(c.size).to.equal(1);
    // Replies per querying address count against the same bound (spoofed sources cannot grow it).
    const sel = { draw: () => answer, current: () => true };
    const answer = { records: [], scopePrefix: 0 };
    for (let i = 0; i < REPLY_CACHE_LIMIT + 5; i++) c.setDrawn(c.key(q(i % 50)), q(i % 50), `192.0.2.${i % 250}/${i}`, true, sel, answer, Buffer.alloc(20), 28);
    expect(c.size).to.be.at.most(REPLY_CACHE_LIMIT);
    expect(c.size).to.be.greaterThan(0);
    const get = (m: Buffer, address: string) => c.get(c.key(m), m, 0, m.length, address);
    expect(get(q(0), '192.0.2.0/0'), 'the oldest per-address reply was dropped with the rest').to.equal(undefined);
    const last = REPLY_CACHE_LIMIT + 4;
    expect(get(q(last % 50, 77), `192.0.2.${last % 250}/${last}`), 'found with any ID').to.not.equal(undefined);
    expect(c.key(Buffer.alloc(12))).to.equal(-1);
    // Admission: a query is kept from its second sighting; the ID is not part of it.
    const q1 = query('www.example.com', 'A', { id: 1 });
    expect(c.admit(q1)).to.equal(false);
    expect(c.admit(query('www.example.com', 'A', { id: 2 }))).to.equal(true);
    expect(c.admit(query('www.example.com', 'AAAA', { id: 1 }))).to.equal(false);
    expect(c.key(Buffer.alloc(600))).to.equal(-1);
  });

  it('keys by a hash of the bytes after the ID and answers only the exact query bytes (a colliding key is a miss)', () => {
    const c = new ReplyCache();
    const a = query('www.example.com', 'A', { id: 1 });
    const b = query('www.example.com', 'AAAA', { id: 1 });
    expect(c.key(a)).to.equal(hashQuery(a));
    expect(c.key(a)).to.equal(c.key(query('www.example.com', 'A', { id: 999 })));
    expect(c.key(a)).to.not.equal(c.key(b));
    c.setFixed(c.key(a), a, Buffer.from('reply-a'), 1, 0, false);
    // The query inside a larger buffer (as in the batch path's receive ring) is found at its offset.
    const ring = Buffer.concat([Buffer.alloc(7), query('www.example.com', 'A', { id: 5 }), Buffer.alloc(3)]);
    expect(c.get(c.key(ring, 7, 7 + a.length), ring, 7, 7 + a.length, 'x')?.kind).to.equal('fixed');
    // Another query under the same key (a forced collision) is a miss, and replacing it keeps the count right.
    expect(c.get(c.key(a), b, 0, b.length, 'x')).to.equal(undefined);
    c.setFixed(c.key(a), b, Buffer.from('reply-b'), 28, 0, false);
    expect(c.size).to.equal(1);
    expect(c.get(c.key(a), a, 0, a.length, 'x')).to.equal(undefined);
    expect(Buffer.from((c.get(c.key(a), b, 0, b.length, 'x') as { bytes: Buffer }).bytes).toString()).to.equal('reply-b');
    // writeWithId copies a kept reply with the query's ID.
    const out = Buffer.alloc(20, 0xee);
    expect(writeWithId(Buffer.from([0, 0, 0x81, 0x80, 9]), ring, 7, out, 3)).to.equal(5);
    expect([...out.subarray(2, 9)]).to.deep.equal([0xee, 0, 5, 0x81, 0x80, 9, 0xee]);
  });
});
