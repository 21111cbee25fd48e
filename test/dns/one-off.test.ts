import { expect } from 'chai';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { KEPT_ECS_PREFIX, endsWithHostEcs, keepsEcs } from '../../src/dns/reply-cache';
import { GeoDatabase } from '../../src/geo/database';
import { DatacenterResponder } from '../../src/pick/datacenter-responder';
import type { DcMemberSpec } from '../../src/pick/datacenter-services';
import { seededRandom } from '../../src/pick/random';
import { SAMPLE_DB } from '../geo/support';
import { decode, query, silentLogger, testZones } from './helpers';

const pos = { file: 't.delivery', line: 1, col: 1 };
const member = (name: string, v6: string): DcMemberSpec => ({
  name, weight: 10, dynamic: true, pos,
  targets: [{ address: v6, family: 6, network: `${v6}/56`, ttl: 90, pos }],
});
const udp = { tcp: false, address: '192.0.2.1', family: 4 as const };

describe('dns: first-seen clients (per-host ECS)', () => {
  let geo: GeoDatabase;
  before(() => (geo = GeoDatabase.open(SAMPLE_DB, { watch: false })));
  after(() => geo.close());

  function engine(): DnsEngine {
    const spec = { service: 's', name: 'example.com', membership: false, options: {}, sticky: false, pos, members: [member('dc1', '2001:db8:ae21:7700::'), member('dc2', '2001:db8:478:2800::'), member('dc3', '2001:db8:c001:e400::')] };
    return new DnsEngine(new DataSet(testZones(), [new DatacenterResponder(spec, { geo, rand: seededRandom(1) })]), { logger: silentLogger });
  }

  it('keeps replies for resolver-sized ECS prefixes (≤ /24, ≤ /56) and not for longer, per-host ones', () => {
    expect(KEPT_ECS_PREFIX).to.deep.equal({ 1: 24, 2: 56 });
    expect([undefined, { family: 1, sourcePrefix: 24 }, { family: 2, sourcePrefix: 56 }].map((e) => keepsEcs(e as never))).to.deep.equal([true, true, true]);
    expect([{ family: 1, sourcePrefix: 25 }, { family: 1, sourcePrefix: 32 }, { family: 2, sourcePrefix: 64 }].map((e) => keepsEcs(e as never))).to.deep.equal([false, false, false]);
    const e = engine();
    const per24 = query('example.com', 'AAAA', { ecs: { family: 1, sourcePrefix: 24, address: '10.3.0.0' } });
    const per32 = query('example.com', 'AAAA', { ecs: { family: 1, sourcePrefix: 32, address: '10.3.0.7' } });
    for (let i = 0; i < 5; i++) {
      e.handle(per24, udp);
      const r = decode(e.handle(per32, udp)!);
      expect((r.answers?.[0] as { data: string }).data).to.equal('2001:db8:c001:e400::');
    }
    // The /24 is kept from its second sighting (3 of 5 from the cache); the /32 never.
    expect(e.stats().replyCacheHits).to.equal(3);
  });

  it('skips the reply-cache lookup for queries ending in a per-host ECS option, and only for them', () => {
    const q = (family: number, sourcePrefix: number, address: string) => query('example.com', 'AAAA', { ecs: { family, sourcePrefix, address } });
    expect(endsWithHostEcs(q(1, 32, '10.1.2.3'))).to.equal(true);
    expect(endsWithHostEcs(q(1, 25, '10.1.2.128'))).to.equal(true);
    expect(endsWithHostEcs(q(2, 64, '2001:db8:1:2::'))).to.equal(true);
    expect(endsWithHostEcs(q(2, 128, '2001:db8::1'))).to.equal(true);
    expect(endsWithHostEcs(q(1, 24, '10.1.2.0'))).to.equal(false);
    expect(endsWithHostEcs(q(2, 56, '2001:db8:1:200::'))).to.equal(false);
    expect(endsWithHostEcs(q(1, 0, '0.0.0.0'))).to.equal(false);
    expect(endsWithHostEcs(query('example.com', 'AAAA', {}))).to.equal(false);
    expect(endsWithHostEcs(query('example.com', 'AAAA', { noEdns: true }))).to.equal(false);
  });

  it('answers 200,000 distinct /32 clients right, keeping nothing per client', () => {
    const e = engine();
    const want = ['', '2001:db8:ae21:7700::', '2001:db8:478:2800::', '2001:db8:c001:e400::', '2001:db8:ae21:7700::', '2001:db8:478:2800::'];
    for (let i = 0; i < 200_000; i++) {
      const region = 1 + (i % 5);
      const msg = query('example.com', 'AAAA', { id: i & 0xffff, ecs: { family: 1, sourcePrefix: 32, address: `10.${region}.${(i >> 8) & 255}.${i & 255}` } });
      const reply = e.handle(msg, udp)!;
      // Spot checks (decoding every reply would dominate the test).
      if (i % 997 === 0) expect((decode(reply).answers?.[0] as { data: string }).data).to.equal(want[region]);
    }
    expect(e.stats().replyCacheHits).to.equal(0);
    expect((e as unknown as { replies: { size: number } }).replies.size).to.equal(0);
  });
});
