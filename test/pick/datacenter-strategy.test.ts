import { expect } from 'chai';
import { GeoDatabase } from '../../src/geo/database';
import { DatacenterPickError, landingGroup, pickDatacenter, planDatacenter } from '../../src/pick/datacenter-strategy';
import { unitHash } from '../../src/pick/rendezvous';
import type { DatacenterCandidate, DatacenterPickOptions } from '../../src/pick/datacenter-strategy';
import { seededRandom } from '../../src/pick/random';
import type { GeoPoint, MemberLiveState } from '../../src/pick/types';
import { SAMPLE_DB } from '../geo/support';

const W: GeoPoint = { lat: 37.4, lon: -122.1 };
const E: GeoPoint = { lat: 50.1, lon: 8.7 };
const A: GeoPoint = { lat: 35.7, lon: 139.7 };
const SF_NEAR: GeoPoint = { lat: 37.8, lon: -122.4 }; // ~50 km from W
const LA: GeoPoint = { lat: 34.05, lon: -118.25 }; // ~500 km from W

const live = (ready: boolean, factor = 1, present = true): MemberLiveState => ({ present, ready, factor });

function dc(name: string, location: GeoPoint | undefined, staticWeight = 10, extra: Partial<DatacenterCandidate<string>> = {}): DatacenterCandidate<string> {
  return { name, staticWeight, dynamic: true, location, targets: [`${name}-addr`], ...extra };
}

/** Runs n decisions and returns each member's share of first picks. */
function shares(cands: DatacenterCandidate<string>[], client: GeoPoint | undefined, n: number, opts: DatacenterPickOptions = {}, seed = 1): Map<string, number> {
  const rand = seededRandom(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const o = opts.sticky ? { ...opts, sticky: { key: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/24` } } : opts;
    const name = pickDatacenter(cands, client, o, rand).picked[0].name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / n]));
}

// Tolerance: each share within 2 % of the expected share, RELATIVE to that share
// (|observed − expected| ≤ 0.02 × expected), over 100,000 decisions with a seeded PRNG.
function expectShares(got: Map<string, number>, want: Record<string, number>): void {
  const total = Object.values(want).reduce((a, b) => a + b, 0);
  for (const [name, w] of Object.entries(want)) {
    const expected = w / total;
    const observed = got.get(name) ?? 0;
    expect(Math.abs(observed - expected), `${name}: observed ${observed.toFixed(4)}, expected ${expected.toFixed(4)}`).to.be.at.most(0.02 * expected);
  }
  for (const name of got.keys()) expect(want, `${name} was picked but has no weight`).to.have.property(name);
}

describe('pick/datacenter-strategy: internet-location-then-dynamic-weight', () => {
  describe('distribution over 100,000 decisions (2 % relative)', () => {
    const cases: [string, DatacenterCandidate<string>[], GeoPoint | undefined, Record<string, number>, DatacenterPickOptions?][] = [
      ['static weights 20/30/50 in one group', [dc('a', W, 20), dc('b', SF_NEAR, 30), dc('c', W, 50)], W, { a: 20, b: 30, c: 50 }],
      ['dyn factors 1, 0.5, 0.25 on equal weights', [dc('a', W, 10, { live: live(true, 1) }), dc('b', W, 10, { live: live(true, 0.5) }), dc('c', W, 10, { live: live(true, 0.25) })], W, { a: 10, b: 5, c: 2.5 }],
      ['a static member ignores its factor', [dc('a', W, 10, { dynamic: false, live: live(true, 0.1) }), dc('b', W, 10, { live: live(true, 0.5) })], W, { a: 10, b: 5 }],
      ['unknown client location: every ready member in one group', [dc('w', W, 10), dc('e', E, 30), dc('a', A, 60)], undefined, { w: 10, e: 30, a: 60 }],
      ['sticky keys spread by weight (weighted rendezvous)', [dc('a', W, 20), dc('b', W, 30), dc('c', W, 50)], W, { a: 20, b: 30, c: 50 }, { sticky: { key: '' } }],
      ['only the nearest group takes traffic', [dc('w', W, 10), dc('near', SF_NEAR, 30), dc('e', E, 1000)], W, { w: 10, near: 30 }],
    ];
    for (const [what, cands, client, want, opts] of cases) {
      it(what, () => expectShares(shares(cands, client, 100_000, opts ?? {}), want));
    }
  });

  describe('nearest first from clients in every region of the sample database', () => {
    let geo: GeoDatabase;
    let members: DatacenterCandidate<string>[];
    before(() => {
      geo = GeoDatabase.open(SAMPLE_DB, { watch: false });
      // Member locations come from their blocks, as the DNS wiring does.
      members = [
        dc('datacenter-1', geo.lookup('2001:db8:ae21:7700::').location),
        dc('datacenter-2', geo.lookup('2001:db8:478:2800::').location),
        dc('datacenter-3', geo.lookup('2001:db8:c001:e400::').location),
      ];
    });
    after(() => geo.close());
    // From europe, us-west (9,158 km) and asia (9,331 km) are within 500 km of each other: one group.
    const table: [string, string, string[], number[]?][] = [
      ['10.1.2.3', 'us-west', ['datacenter-1', 'datacenter-3', 'datacenter-2']],
      ['2001:db8:1::1', 'us-west', ['datacenter-1', 'datacenter-3', 'datacenter-2']],
      ['127.0.0.1', 'us-west (loopback)', ['datacenter-1', 'datacenter-3', 'datacenter-2']],
      ['10.2.2.3', 'europe', ['datacenter-2', 'datacenter-1', 'datacenter-3'], [1, 2, 2]],
      ['127.0.1.1', 'europe (loopback)', ['datacenter-2', 'datacenter-1', 'datacenter-3'], [1, 2, 2]],
      ['2001:db8:3::9', 'asia', ['datacenter-3', 'datacenter-1', 'datacenter-2']],
      ['127.0.2.1', 'asia (loopback)', ['datacenter-3', 'datacenter-1', 'datacenter-2']],
      ['10.4.0.1', 'us-east (no datacenter)', ['datacenter-1', 'datacenter-2', 'datacenter-3']],
      ['10.5.0.1', 'south-america (no datacenter)', ['datacenter-2', 'datacenter-1', 'datacenter-3']],
    ];
    for (const [ip, region, order, groups] of table) {
      it(`${ip} (${region}) → ${order[0]}, then ${order.slice(1).join(', ')}`, () => {
        const r = pickDatacenter(members, geo.lookup(ip).location, {}, seededRandom(7));
        expect(r.picked.map((m) => m.name)).to.deep.equal([order[0]]);
        expect(r.group).to.equal(1);
        expect(r.ranking.map((m) => m.name)).to.deep.equal(order);
        expect(r.ranking.map((m) => m.group)).to.deep.equal(groups ?? [1, 2, 3]);
        expect(r.reason).to.match(new RegExp(`^nearest group 1 \\(nearest ${order[0]} at \\d+ km, tolerance 500 km\\); picked ${order[0]} by weight`));
      });
    }
  });

  describe('groups and spill', () => {
    it('groups members within toleranceKm of the nearest ready one', () => {
      const cands = [dc('w', W), dc('la', LA), dc('e', E)];
      const narrow = pickDatacenter(cands, W, { toleranceKm: 100 }, seededRandom(1));
      expect(narrow.ranking.map((m) => [m.name, m.group])).to.deep.equal([['w', 1], ['la', 2], ['e', 3]]);
      const wide = pickDatacenter(cands, W, { toleranceKm: 600 }, seededRandom(1));
      expect(wide.ranking.map((m) => [m.name, m.group])).to.deep.equal([['w', 1], ['la', 1], ['e', 2]]);
    });

    it('spills to the next group when the nearest is not ready', () => {
      const r = pickDatacenter([dc('w', W, 10, { live: live(false) }), dc('e', E), dc('a', A)], W, {}, seededRandom(1));
      expect(r.picked.map((m) => m.name)).to.deep.equal(['a']);
      expect(r.ranking.find((m) => m.name === 'w')).to.include({ ready: false, notReady: 'not-ready', picked: false });
      // With spill-over (default) a not-ready member still anchors its group (capacity 0); without, it has none.
      expect(r.ranking.find((m) => m.name === 'w')?.group).to.equal(1);
      const off = pickDatacenter([dc('w', W, 10, { live: live(false) }), dc('e', E), dc('a', A)], W, { spillOver: false }, seededRandom(1));
      expect(off.picked.map((m) => m.name)).to.deep.equal(['a']);
      expect(off.ranking.find((m) => m.name === 'w')?.group).to.equal(undefined);
    });

    it('spills when the nearest group has no capacity (weight 0), and says so', () => {
      const r = pickDatacenter([dc('w', W, 10, { live: live(true, 0) }), dc('a', A)], W, {}, seededRandom(1));
      expect(r.picked.map((m) => m.name)).to.deep.equal(['a']);
      expect(r.group).to.equal(2);
      expect(r.reason).to.match(/^group 1 has no ready capacity; spilled to group 2 \(nearest a at \d+ km/);
    });

    it('a member whose presence lease ran out is not ready (absent)', () => {
      const r = pickDatacenter([dc('w', W, 10, { live: live(true, 1, false) }), dc('e', E)], W, {}, seededRandom(1));
      expect(r.picked[0].name).to.equal('e');
      expect(r.ranking.find((m) => m.name === 'w')).to.include({ notReady: 'absent' });
    });

    it('spill-over off: does not spill while the nearest group has any ready capacity', () => {
      const got = shares([dc('w', W, 10, { live: live(true, 0.01) }), dc('e', E, 1000)], W, 1000, { spillOver: false });
      expect([...got.keys()]).to.deep.equal(['w']);
    });

    it('ranks members without location last, as their own group', () => {
      const r = pickDatacenter([dc('nowhere', undefined), dc('e', E)], W, {}, seededRandom(1));
      expect(r.picked[0].name).to.equal('e');
      expect(r.ranking.map((m) => [m.name, m.group, m.hasLocation])).to.deep.equal([['e', 1, true], ['nowhere', 2, false]]);
      const only = pickDatacenter([dc('nowhere', undefined), dc('e', E, 10, { live: live(false) })], W, {}, seededRandom(1));
      expect(only.picked[0].name).to.equal('nowhere');
      expect(only.reason).to.match(/spilled to group 2 \(members without location\)|nearest group 1 \(members without location\)/);
    });

    it('fills answers > 1 from the same group first, then the next groups', () => {
      const cands = [dc('w', W), dc('la', LA), dc('e', E), dc('a', A)];
      const r = pickDatacenter(cands, W, { answers: 3, toleranceKm: 600 }, seededRandom(3));
      expect(r.picked.map((m) => m.name).slice(0, 2).sort()).to.deep.equal(['la', 'w']);
      expect(r.picked[2].name).to.equal('a');
      expect(r.reason).to.match(/to fill 3 answers/);
      const all = pickDatacenter(cands, W, { answers: 9 }, seededRandom(3));
      expect(all.picked.map((m) => m.name)).to.deep.equal(['w', 'la', 'a', 'e']);
    });
  });

  describe('capacity spill-over (default on)', () => {
    // Clients spread evenly over the hash range: the landing shares are then exact.
    const landed = (cands: DatacenterCandidate<string>[], client: GeoPoint | undefined, n = 1000, opts: DatacenterPickOptions = {}): Map<string, number> => {
      const counts = new Map<string, number>();
      const rand = seededRandom(3);
      for (let i = 0; i < n; i++) {
        const name = pickDatacenter(cands, client, opts, rand, (i + 0.5) / n).picked[0].name;
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      return new Map([...counts].map(([k, v]) => [k, v / n]));
    };

    const table: [string, DatacenterCandidate<string>[], Record<string, number>][] = [
      ['a ramping datacenter (factor 0.1) keeps 10 % of its region', [dc('w', W, 10, { live: live(true, 0.1) }), dc('e', E)], { w: 0.1, e: 0.9 }],
      ['factor 0.5 keeps half', [dc('w', W, 10, { live: live(true, 0.5) }), dc('e', E)], { w: 0.5, e: 0.5 }],
      ['a not-ready member halves its group', [dc('w1', W, 10), dc('w2', { lat: 37.8, lon: -122.4 }, 10, { live: live(false) }), dc('e', E)], { w1: 0.5, e: 0.5 }],
      ['an absent member (lease ran out) counts as not ready', [dc('w1', W, 30), dc('w2', { lat: 37.8, lon: -122.4 }, 10, { live: live(true, 1, false) }), dc('e', E)], { w1: 0.75, e: 0.25 }],
      // From W: Tokyo (a) is nearer than Frankfurt (e).
      ['spills on down the groups', [dc('w', W, 10, { live: live(true, 0.5) }), dc('a', A, 10, { live: live(true, 0.5) }), dc('e', E)], { w: 0.5, a: 0.25, e: 0.25 }],
      ['the last group with capacity keeps everyone left', [dc('w', W, 10, { live: live(true, 0.5) }), dc('e', E, 10, { live: live(true, 0.2) })], { w: 0.5, e: 0.5 }],
      ['a static member is not scaled', [dc('w', W, 10, { dynamic: false, live: live(true, 0.1) }), dc('e', E)], { w: 1 }],
    ];
    for (const [what, cands, want] of table) {
      it(what, () => {
        const got = landed(cands, W);
        expect(Object.fromEntries(got)).to.deep.equal(want);
      });
    }

    it('client location unknown: one group, nothing to spill to', () => {
      expect(Object.fromEntries(landed([dc('w', W, 10, { live: live(true, 0.1) }), dc('e', E)], undefined))).to.have.keys('w', 'e');
      expect(planDatacenter([dc('w', W, 10, { live: live(true, 0.1) }), dc('e', E)], undefined, {}).spills).to.equal(false);
    });

    it('is stable: a client stays while the capacity grows; clients only join', () => {
      const cands = (f: number) => [dc('w', W, 10, { live: live(true, f) }), dc('e', E)];
      const subnets = Array.from({ length: 400 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
      let before = new Set<string>();
      for (const f of [0.1, 0.2, 0.5, 0.8, 1]) {
        const plan = planDatacenter(cands(f), W, {});
        const inW = new Set(subnets.filter((s) => landingGroup(plan, unitHash(s, 'spill-over')) === 0));
        for (const s of before) expect(inW.has(s), `${s} at factor ${f}`).to.equal(true);
        expect(inW.size / subnets.length).to.be.closeTo(f, 0.08);
        before = inW;
      }
    });

    it('without a client hash the landing is drawn: shares by capacity over many queries', () => {
      const got = shares([dc('w', W, 10, { live: live(true, 0.2) }), dc('e', E)], W, 100_000);
      expect(got.get('w')!).to.be.closeTo(0.2, 0.2 * 0.02);
    });

    it('explains the spill: capacity, share of the region spilled, where this client went', () => {
      const cands = [dc('w', W, 10, { live: live(true, 0.38) }), dc('e', E)];
      const stay = pickDatacenter(cands, W, {}, seededRandom(1), 0.1);
      expect(stay.picked[0].name).to.equal('w');
      expect(stay.spill).to.deep.equal({ capacity: [0.38, 1], hash: 0.1, landed: 1, spilled: 0.62 });
      expect(stay.reason).to.match(/^group 1 has 38 % of its static capacity ready: 62 % of this region spilled to group 2 \(e\); this client \(hash 0\.100\) stays in group 1/);
      const moved = pickDatacenter(cands, W, {}, seededRandom(1), 0.9);
      expect(moved.picked[0].name).to.equal('e');
      expect(moved.group).to.equal(2);
      expect(moved.reason).to.match(/this client \(hash 0\.900\) spilled to group 2 \(nearest e at \d+ km/);
      expect(pickDatacenter(cands, W, { spillOver: false }, seededRandom(1), 0.9).picked[0].name).to.equal('w');
    });
  });

  describe('last resort when nothing is ready', () => {
    const down = [dc('w', W, 10, { live: live(false) }), dc('e', E, 10, { live: live(true, 0) }), dc('a', A, 10, { live: live(false, 1, false) })];
    const cases: [DatacenterPickOptions['whenNoneReady'], string[]][] = [
      [undefined, ['w', 'a', 'e']],
      ['all', ['w', 'a', 'e']],
      ['nearest', ['w']],
      ['none', []],
    ];
    for (const [when, names] of cases) {
      it(`whenNoneReady ${when ?? '(default all)'} answers [${names.join(', ')}]`, () => {
        const r = pickDatacenter(down, W, when ? { whenNoneReady: when } : {}, seededRandom(1));
        expect(r.picked.map((m) => m.name)).to.deep.equal(names);
        expect(r.lastResort).to.equal(when ?? 'all');
        expect(r.group).to.equal(undefined);
        expect(r.reason).to.match(new RegExp(`^no member is ready with weight > 0: last resort '${when ?? 'all'}'`));
      });
    }
    it('answers nothing for no members', () => {
      expect(pickDatacenter([], W, {}, seededRandom(1)).picked).to.deep.equal([]);
    });
  });

  describe('stickiness (weighted rendezvous on the client subnet)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}00::/56`);
    const pickAll = (cands: DatacenterCandidate<string>[]): string[] =>
      keys.map((key) => pickDatacenter(cands, W, { sticky: { key } }, () => { throw new Error('sticky must not use rand'); }).picked[0].name);
    const four = ['m1', 'm2', 'm3', 'm4'].map((n) => dc(n, W));

    it('keeps a subnet on one member while weights hold', () => {
      expect(pickAll(four)).to.deep.equal(pickAll(four));
    });

    it('moves only the departed member\'s clients', () => {
      const before = pickAll(four);
      const after = pickAll([four[0], four[1], dc('m3', W, 10, { live: live(false) }), four[3]]);
      let moved = 0;
      before.forEach((b, i) => {
        if (b === 'm3') { expect(after[i]).to.not.equal('m3'); moved++; } else expect(after[i], keys[i]).to.equal(b);
      });
      expect(moved / keys.length).to.be.within(0.22, 0.28);
    });

    it('moves only ~1/n of the clients, all to the new member, when one is added', () => {
      const before = pickAll(four);
      const after = pickAll([...four, dc('m5', W)]);
      let moved = 0;
      before.forEach((b, i) => {
        if (after[i] !== b) { expect(after[i]).to.equal('m5'); moved++; }
      });
      expect(moved / keys.length).to.be.within(0.18, 0.22);
    });

    it('records each member\'s score for explain', () => {
      const r = pickDatacenter(four, W, { sticky: { key: '10.1.2.0/24' } }, seededRandom(1));
      const best = [...r.ranking].sort((a, b) => (a.stickyScore as number) - (b.stickyScore as number))[0];
      expect(r.picked[0].name).to.equal(best.name);
      expect(r.reason).to.contain("weighted rendezvous hash of '10.1.2.0/24'");
    });
  });

  describe('bad input', () => {
    const bad: [string, DatacenterPickOptions, RegExp][] = [
      ['negative tolerance', { toleranceKm: -1 }, /toleranceKm/],
      ['NaN tolerance', { toleranceKm: NaN }, /toleranceKm/],
      ['zero answers', { answers: 0 }, /answers/],
      ['fractional answers', { answers: 1.5 }, /answers/],
      ['unknown last resort', { whenNoneReady: 'first' as never }, /whenNoneReady/],
    ];
    for (const [what, opts, msg] of bad) {
      it(`rejects ${what}`, () => expect(() => pickDatacenter([dc('w', W)], W, opts, seededRandom(1))).to.throw(DatacenterPickError, msg).with.property('code', 'E_DATACENTER_PICK'));
    }
    it('rejects a negative weight', () => {
      expect(() => pickDatacenter([dc('w', W, -1)], W, {}, seededRandom(1))).to.throw(DatacenterPickError, /weight/);
    });
    it('treats a non-finite live factor as 0', () => {
      const r = pickDatacenter([dc('w', W, 10, { live: live(true, NaN) }), dc('e', E)], W, {}, seededRandom(1));
      expect(r.picked[0].name).to.equal('e');
    });
  });
});
