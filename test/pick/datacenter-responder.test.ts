import { expect } from 'chai';
import { GeoDatabase } from '../../src/geo/database';
import type { GeoMatch } from '../../src/geo/lookup';
import { DatacenterResponder, memberLocationWarnings } from '../../src/pick/datacenter-responder';
import type { GeoSource } from '../../src/pick/datacenter-responder';
import type { DcMemberSpec, DcServiceSpec } from '../../src/pick/datacenter-services';
import { seededRandom } from '../../src/pick/random';
import type { MemberLiveState, MemberStateSource } from '../../src/pick/types';
import { SAMPLE_DB } from '../geo/support';
import { parseAddress } from '../../src/util/ip';

const pos = { file: 't.delivery', line: 1, col: 1 };
const member = (name: string, v6: string, v4?: string, extra: Partial<DcMemberSpec> = {}): DcMemberSpec => ({
  name, weight: 10, dynamic: true, pos,
  targets: [
    { address: v6, family: 6, network: `${v6}/56`, ttl: 90, pos },
    ...(v4 ? [{ address: v4, family: 4 as const, network: `${v4.replace(/\.\d+$/, '.0')}/24`, pos }] : []),
  ],
  ...extra,
});
const spec = (extra: Partial<DcServiceSpec> = {}): DcServiceSpec => ({
  service: 'my-service', name: 'example.com', membership: false, options: {}, sticky: false, pos,
  members: [member('dc1', '2001:db8:ae21:7700::', '192.0.2.10'), member('dc2', '2001:db8:478:2800::', '198.51.100.10'), member('dc3', '2001:db8:c001:e400::')],
  ...extra,
});
const states = (m: Record<string, MemberLiveState>): MemberStateSource => ({ version: 1, get: (tier, service, name) => (tier === 'datacenter' && service === 'my-service' ? m[name] : undefined) });
const ecs = (address: string, sourcePrefix: number) => ({ address: '127.0.0.1', family: 4 as const, ecs: { family: (address.includes(':') ? 2 : 1) as 1 | 2, sourcePrefix, address } });

describe('pick/datacenter-responder', () => {
  let geo: GeoDatabase;
  before(() => (geo = GeoDatabase.open(SAMPLE_DB, { watch: false })));
  after(() => geo.close());

  const scopes: [string, Partial<DcServiceSpec>, Parameters<DatacenterResponder['answer']>[1], string, number][] = [
    ['ECS: the matched geo network', {}, ecs('10.3.0.0', 24), '2001:db8:c001:e400::', 16],
    ['ECS longer than the geo network', {}, ecs('2001:db8:2:ff00::', 56), '2001:db8:478:2800::', 48],
    ['sticky: the hashed subnet when longer than the geo network', { sticky: true }, ecs('10.2.7.0', 24), '2001:db8:478:2800::', 24],
    ['sticky: the geo network when longer than the hashed subnet', { sticky: true }, ecs('127.0.0.0', 20), '2001:db8:ae21:7700::', 24],
    ['querying address (IPv4-mapped) without ECS', {}, { address: '::ffff:127.0.2.1', family: 6 }, '2001:db8:c001:e400::', 24],
  ];
  for (const [what, extra, client, want, scope] of scopes) {
    it(`scope prefix: ${what} → /${scope}`, () => {
      const a = new DatacenterResponder(spec(extra), { geo, rand: seededRandom(1) }).answer('AAAA', client);
      expect(a?.records.map((r) => r.data)).to.deep.equal([want]);
      expect(a?.scopePrefix).to.equal(scope);
    });
  }

  // Families × IPv4-mapped × scope: RFC 7871 §6 counts SCOPE in bits of the option's FAMILY.
  const table: [string, 1 | 2, string, number, boolean, boolean, number][] = [
    // what, FAMILY, address, source, sticky, with geo, scope
    ['IPv4', 1, '10.3.0.0', 24, false, true, 16],
    ['IPv4, sticky', 1, '10.3.0.0', 24, true, true, 24],
    ['IPv6', 2, '2001:db8:3::', 48, false, true, 48],
    ['IPv6, sticky', 2, '2001:db8:3:100::', 56, true, true, 56],
    ['IPv4-mapped in FAMILY 2 (/16 geo network)', 2, '::ffff:10.3.0.0', 120, false, true, 112],
    ['IPv4-mapped in FAMILY 2, sticky /120', 2, '::ffff:10.3.0.0', 120, true, true, 120],
    // 10.0.0.0 lies in an empty /16 of the sample database (between 10.0/16 neighbours' rows).
    ['IPv4-mapped in FAMILY 2, sticky /104 (shorter than the geo network)', 2, '::ffff:10.0.0.0', 104, true, true, 96 + 16],
    // 172.16.0.0 lies in the empty 128.0.0.0/2 of the sample database.
    ['IPv4-mapped in FAMILY 2, not in the database', 2, '::ffff:172.16.0.0', 120, false, true, 96 + 2],
    ['IPv4-compatible ::a.b.c.d is IPv6 (the ::/96 subtree, IPv6 bits)', 2, '::10.3.0.0', 120, false, true, 112],
    ['IPv4-mapped in FAMILY 2 without a database', 2, '::ffff:10.3.0.0', 120, false, false, 0],
    ['IPv4-mapped in FAMILY 2 without a database, sticky', 2, '::ffff:10.3.0.0', 120, true, false, 120],
  ];
  for (const [what, family, address, source, sticky, withGeo, scope] of table) {
    for (const bytes of [false, true]) {
      it(`scope table: ${what}, ECS ${address}/${source}${bytes ? ' (option bytes)' : ''} → /${scope}`, () => {
        const raw = parseAddress(address);
        const ecsBytes = bytes ? (family === 1 ? raw : raw.length === 4 ? Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]), raw]) : raw).subarray(0, Math.ceil(source / 8)) : undefined;
        const client = { address: '127.0.0.1', family: 4 as const, ecs: { family, sourcePrefix: source, address, bytes: ecsBytes } };
        const r = new DatacenterResponder(spec({ sticky }), { geo: withGeo ? geo : undefined, rand: seededRandom(1) });
        expect(r.answer('AAAA', client)?.scopePrefix).to.equal(scope);
        expect(r.decide('AAAA', client)?.scopePrefix).to.equal(scope);
      });
    }
  }

  it('ECS source prefix 0: location unknown, scope 0', () => {
    const d = new DatacenterResponder(spec(), { geo, rand: seededRandom(1) }).decide('AAAA', ecs('0.0.0.0', 0))!;
    expect(d.client.geo).to.equal(undefined);
    expect(d.scopePrefix).to.equal(0);
    expect(d.pick.reason).to.match(/^client location unknown/);
  });

  it('without a geo database: scope 0 (or the sticky subnet), members unplaced', () => {
    const r = new DatacenterResponder(spec(), { rand: seededRandom(1) });
    expect(r.answer('AAAA', ecs('10.3.0.0', 24))?.scopePrefix).to.equal(0);
    expect(new DatacenterResponder(spec({ sticky: true })).answer('AAAA', ecs('10.3.0.0', 22))?.scopePrefix).to.equal(22);
    expect(new DatacenterResponder(spec({ sticky: true })).decide('AAAA', { address: '2001:db8:9::1', family: 6 })?.client.subnet).to.equal('2001:db8:9::/56');
  });

  it('answers A from IPv4 targets only, and nothing for other types', () => {
    const r = new DatacenterResponder(spec(), { geo, rand: seededRandom(1) });
    const a = r.answer('A', ecs('10.3.0.0', 24))!; // dc3 has no IPv4 target: nearest with one is dc1
    expect(a.records.map((x) => [x.name, x.type, x.data, x.ttl])).to.deep.equal([['example.com', 'A', '192.0.2.10', 60]]);
    expect(r.answer('MX', ecs('10.3.0.0', 24))).to.equal(undefined);
    expect(new DatacenterResponder(spec({ members: [member('dc3', '2001:db8:c001:e400::')] }), { geo }).answer('A', ecs('10.3.0.0', 24))).to.equal(undefined);
  });

  it('strategy ttl overrides the record TTL', () => {
    const a = new DatacenterResponder(spec({ ttl: 15 }), { geo, rand: seededRandom(1) }).answer('AAAA', ecs('10.1.0.0', 24))!;
    expect(a.records[0].ttl).to.equal(15);
  });

  it('follows live state: spills from a member that is not ready, scales by factor', () => {
    const state = states({ dc3: { present: true, ready: false, factor: 0 } });
    const d = new DatacenterResponder(spec(), { geo, state, rand: seededRandom(1) }).decide('AAAA', ecs('10.3.0.0', 24))!;
    expect(d.pick.picked.map((m) => m.name)).to.deep.equal(['dc1']);
  });

  it('answer() re-plans when the member state version changes (plans are cached per version)', () => {
    const m: Record<string, MemberLiveState> = {};
    const state = { version: 1, get: (_t: string, _s: string, n: string) => m[n] };
    const r = new DatacenterResponder(spec(), { geo, state, rand: seededRandom(1) });
    const pickFor = () => r.answer('AAAA', ecs('10.3.0.0', 24))!.records[0].data;
    expect(pickFor()).to.equal('2001:db8:c001:e400::');
    m.dc3 = { present: true, ready: false, factor: 0 };
    expect(pickFor()).to.equal('2001:db8:c001:e400::'); // same version: the cached plan
    state.version++;
    expect(pickFor()).to.equal('2001:db8:ae21:7700::');
    delete m.dc3;
    state.version++;
    expect(pickFor()).to.equal('2001:db8:c001:e400::');
  });

  it('answer() draws by weight from the cached plan', () => {
    const r = new DatacenterResponder(spec({ options: { toleranceKm: 20000 } }), { geo, rand: seededRandom(5) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 30000; i++) {
      const a = String(r.answer('AAAA', ecs('10.3.0.0', 24))!.records[0].data);
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(n / 30000).to.be.within(0.31, 0.356);
    expect(counts.size).to.equal(3);
  });

  it('answers a reported address only when it lies inside the member block', () => {
    const inside = states({ dc3: { present: true, ready: true, factor: 1, address: '2001:db8:c001:e4ff::53' } });
    expect(new DatacenterResponder(spec(), { geo, state: inside }).answer('AAAA', ecs('10.3.0.0', 24))!.records[0].data).to.equal('2001:db8:c001:e4ff::53');
    const outside = states({ dc3: { present: true, ready: true, factor: 1, address: '2001:db8:dead::53' } });
    expect(new DatacenterResponder(spec(), { geo, state: outside }).answer('AAAA', ecs('10.3.0.0', 24))!.records[0].data).to.equal('2001:db8:c001:e400::');
  });

  it('membership members: absent without a lease once the state source has started, static while it starts', () => {
    const ABSENT = { present: false, ready: false, factor: 0 };
    // As the signals registry after its start-up grace: a member without a lease is absent.
    const started: MemberStateSource = { version: 1, get: (_t, _s, name) => (name === 'dc1' ? { present: true, ready: true, factor: 1 } : ABSENT) };
    const d = new DatacenterResponder(spec({ membership: true }), { geo, state: started, rand: seededRandom(1) }).decide('AAAA', ecs('10.3.0.0', 24))!;
    expect(d.pick.picked.map((m) => m.name)).to.deep.equal(['dc1']);
    expect(d.pick.ranking.filter((m) => m.notReady === 'absent').map((m) => m.name).sort()).to.deep.equal(['dc2', 'dc3']);
    // While it starts (one lease after a restart) it knows nobody yet: static config decides,
    // so a restarted node never answers empty — the nearest member (dc3 for Asia) as without signals.
    const starting: MemberStateSource = { version: 1, get: () => undefined };
    const g = new DatacenterResponder(spec({ membership: true }), { geo, state: starting, rand: seededRandom(1) }).decide('AAAA', ecs('10.3.0.0', 24))!;
    expect(g.pick.picked.map((m) => m.name)).to.deep.equal(['dc3']);
    const s = new DatacenterResponder(spec({ membership: true }), { geo, rand: seededRandom(1) }).decide('AAAA', ecs('10.3.0.0', 24))!;
    expect(s.pick.picked.map((m) => m.name)).to.deep.equal(['dc3']);
  });

  it('places members again when the geo database is reloaded', () => {
    let generation = 0;
    let lat = 35.7;
    const fake: GeoSource = {
      get generation() { return generation; },
      lookup: (ip: string): GeoMatch => ({ address: ip, family: 6, prefixLength: 16, network: '::/16', found: true, location: { lat, lon: 139.7 } }),
    };
    const r = new DatacenterResponder(spec({ members: [member('dc3', '2001:db8:c001:e400::')] }), { geo: fake });
    expect(r.members()[0].location).to.deep.equal({ lat: 35.7, lon: 139.7 });
    lat = 0;
    expect(r.members()[0].location?.lat).to.equal(35.7); // cached for this generation
    generation++;
    expect(r.members()[0].location).to.deep.equal({ lat: 0, lon: 139.7 });
  });

  it('warns about members that have no location', () => {
    const s = spec({ members: [member('lost', '2001:db8:9999::'), member('pinned', '2001:db8:9998::', undefined, { location: { lat: 1, lon: 2 } }), { ...member('empty', '::'), targets: [] }] });
    expect(memberLocationWarnings([s], geo).map((w) => w.message)).to.deep.equal([
      "member 'lost' of my-service has no location (its block 2001:db8:9999::/56 is not in the geo database): it is ranked after every located member; add 'location LAT,LON'",
      "member 'empty' of my-service has no location (no block): it is ranked after every located member; add 'location LAT,LON'",
    ]);
  });
});
