import { expect } from 'chai';
import { choosePrepared, evaluateServices, pickPrepared, pickPriorityThenWeight, preparePriorityThenWeight } from '../../src/pick/priority-then-weight';
import type { PtwEntry, PtwMember, PtwService } from '../../src/pick/priority-then-weight';
import { seededRandom } from '../../src/pick/random';

/** Deterministic PRNG, so a failure can be replayed from its seed. */
const seeded = seededRandom;

const m = (name: string, weight = 10, ready = true, factor = 1): PtwMember => ({ name, weight, ready, factor });

function entry(name: string, priority: number, weight: number, members: PtwMember[], extra: Partial<PtwEntry> = {}): PtwEntry {
  return { name, priority, weight, members, ...extra };
}

function counts(entries: PtwEntry[], n: number, services?: Map<string, PtwService>): Map<string, number> {
  const random = seeded(42);
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = pickPriorityThenWeight(entries, { random, services });
    const k = r.pick ? `${r.pick.entry}/${r.pick.member}` : 'none';
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

describe('pick/priority-then-weight', () => {
  describe('distribution over 100,000 picks (within 2 %)', () => {
    const cases: { name: string; entries: PtwEntry[]; expect: Record<string, number> }[] = [
      {
        name: 'two entries of one priority share by weight 100:300, members 1:1',
        entries: [entry('a', 10, 100, [m('a1'), m('a2')]), entry('b', 10, 300, [m('b1')])],
        expect: { 'a/a1': 0.125, 'a/a2': 0.125, 'b/b1': 0.75 },
      },
      {
        name: 'members share by static weight 1:2:7',
        entries: [entry('a', 10, 1, [m('x', 1), m('y', 2), m('z', 7)])],
        expect: { 'a/x': 0.1, 'a/y': 0.2, 'a/z': 0.7 },
      },
      {
        name: 'static × dynamic factor (10×1 : 10×0.25)',
        entries: [entry('a', 10, 1, [m('x', 10, true, 1), m('y', 10, true, 0.25)])],
        expect: { 'a/x': 0.8, 'a/y': 0.2 },
      },
      {
        name: 'dynamic entry weight follows the mean factor of ready members',
        entries: [
          entry('a', 10, 100, [m('a1', 10, true, 0.5)], { dynamicWeight: true }),
          entry('b', 10, 100, [m('b1', 10, true, 1)], { dynamicWeight: true }),
        ],
        expect: { 'a/a1': 1 / 3, 'b/b1': 2 / 3 },
      },
      {
        name: 'seed example 1: only priority 10 takes traffic while it is up',
        entries: [entry('service-with-gpu', 10, 100, [m('g1')]), entry('service-without-gpu', 25, 250, [m('c1')])],
        expect: { 'service-with-gpu/g1': 1 },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const n = 100_000;
        const got = counts(c.entries, n);
        for (const [k, share] of Object.entries(c.expect)) {
          expect(Math.abs((got.get(k) ?? 0) / n - share), k).to.be.below(0.02);
        }
        expect([...got.keys()].sort()).to.deep.equal(Object.keys(c.expect).sort());
      });
    }
  });

  describe('thresholds', () => {
    const table: { name: string; members: PtwMember[]; threshold?: PtwEntry['threshold']; up: boolean }[] = [
      { name: 'default: one ready member is up', members: [m('a', 10, false), m('b')], up: true },
      { name: 'default: no ready member is down', members: [m('a', 10, false)], up: false },
      { name: 'no members is down', members: [], up: false },
      { name: '2 ready needed, 2 ready', members: [m('a'), m('b'), m('c', 10, false)], threshold: { kind: 'ready', count: 2 }, up: true },
      { name: '2 ready needed, 1 ready', members: [m('a'), m('b', 10, false)], threshold: { kind: 'ready', count: 2 }, up: false },
      { name: '50 % needed, 50 % ready', members: [m('a', 30), m('b', 10, false), m('c', 20, false)], threshold: { kind: 'percent', percent: 50 }, up: true },
      { name: '50 % needed, 40 % ready', members: [m('a', 40), m('b', 60, false)], threshold: { kind: 'percent', percent: 50 }, up: false },
    ];
    for (const t of table) {
      it(t.name, () => {
        const st = evaluateServices([entry('s', 10, 1, t.members, { threshold: t.threshold })]).get('s')!;
        expect(st.up).to.equal(t.up);
        if (!t.up) expect(st.reason).to.equal('below-threshold');
      });
    }

    it('an entry below its threshold hands traffic to the next priority', () => {
      const entries = [
        entry('gpu', 10, 100, [m('g1'), m('g2', 10, false)], { threshold: { kind: 'ready', count: 2 } }),
        entry('cpu', 25, 250, [m('c1')]),
      ];
      const r = pickPriorityThenWeight(entries, { random: seeded(1) });
      expect(r.pick).to.deep.equal({ entry: 'cpu', member: 'c1', priority: 25 });
      expect(r.mode).to.equal('cpu');
      expect(r.entries.map((s) => [s.name, s.up, s.reason])).to.deep.equal([
        ['gpu', false, 'below-threshold'],
        ['cpu', true, 'up'],
      ]);
      expect(r.reason).to.contain('gpu: below-threshold');
    });
  });

  describe('dependency trees', () => {
    const deps = (vecReady: boolean, dbReady: boolean) =>
      new Map<string, PtwService>([
        ['vector', { name: 'vector', members: [m('v1', 10, vecReady)], requires: ['db'] }],
        ['db', { name: 'db', members: [m('d1', 10, dbReady)] }],
      ]);
    const entries = [entry('gpu', 10, 1, [m('g1')], { requires: ['vector'] }), entry('cpu', 25, 1, [m('c1')])];

    it('whole tree up: preferred entry serves', () => {
      const r = pickPriorityThenWeight(entries, { random: seeded(2), services: deps(true, true) });
      expect(r.pick?.entry).to.equal('gpu');
    });
    it('leaf of the branch down: the branch is down, next priority serves', () => {
      const r = pickPriorityThenWeight(entries, { random: seeded(2), services: deps(true, false) });
      expect(r.pick?.entry).to.equal('cpu');
      expect(r.entries[0]).to.include({ up: false, reason: 'dependency-down', brokenBy: 'vector' });
      expect(r.dependencies.find((d) => d.name === 'vector')).to.include({ up: false, brokenBy: 'db' });
    });
    it('unknown dependency is down', () => {
      const r = pickPriorityThenWeight([entry('gpu', 10, 1, [m('g1')], { requires: ['nope'] })], { random: seeded(2) });
      expect(r.pick).to.equal(undefined);
      expect(r.entries[0]).to.include({ reason: 'dependency-unknown', brokenBy: 'nope' });
    });
    it('a cycle does not loop and marks the entries down', () => {
      const cyc = [entry('a', 10, 1, [m('a1')], { requires: ['b'] }), entry('b', 10, 1, [m('b1')], { requires: ['a'] })];
      const r = pickPriorityThenWeight(cyc, { random: seeded(2) });
      expect(r.pick).to.equal(undefined);
      expect(r.entries.every((s) => s.reason === 'dependency-cycle')).to.equal(true);
    });
    it('an entry may require another entry', () => {
      const es = [entry('front', 10, 1, [m('f1')], { requires: ['back'] }), entry('back', 30, 1, [m('b1', 10, false)]), entry('solo', 20, 1, [m('s1')])];
      expect(pickPriorityThenWeight(es, { random: seeded(3) }).pick?.entry).to.equal('solo');
    });
  });

  describe('fallback order and retries', () => {
    const entries = [entry('p10', 10, 1, [m('a'), m('b')]), entry('p20', 20, 1, [m('c')]), entry('p30', 30, 1, [m('d')])];
    it('uses the lowest up priority, skipping down ones in order', () => {
      const down = [entry('p10', 10, 1, [m('a', 10, false)]), entry('p20', 20, 1, [m('c', 10, false)]), entry('p30', 30, 1, [m('d')])];
      const r = pickPriorityThenWeight(down, { random: seeded(4) });
      expect(r.pick?.entry).to.equal('p30');
      expect(r.servingPriority).to.equal(30);
    });
    it('exclusion (retry) chooses another member of the same priority first', () => {
      const r = pickPriorityThenWeight(entries, { random: () => 0, exclude: new Set(['p10/a']) });
      expect(r.pick).to.deep.equal({ entry: 'p10', member: 'b', priority: 10 });
    });
    it('exclusion of the whole priority spills to the next one, mode unchanged', () => {
      const r = pickPriorityThenWeight(entries, { random: () => 0, exclude: new Set(['p10/a', 'p10/b']) });
      expect(r.pick?.entry).to.equal('p20');
      expect(r.mode).to.equal('p10');
    });
    it('members with factor 0 take no traffic and nothing ready gives no pick', () => {
      const r = pickPriorityThenWeight([entry('x', 10, 1, [m('a', 10, true, 0)])], { random: seeded(5) });
      expect(r.pick).to.equal(undefined);
      expect(r.reason).to.match(/no entry available: x: no-weight/);
    });
    it('random() close to 1 never falls off the end', () => {
      const r = pickPriorityThenWeight(entries, { random: () => 0.9999999999 });
      expect(r.pick).to.deep.equal({ entry: 'p10', member: 'b', priority: 10 });
    });
  });

  describe('choosePrepared (the proxy\'s per-request path)', () => {
    it('draws what pickPrepared explains, with and without exclusions, over 10,000 seeded picks', () => {
      const es = [entry('gpu', 10, 100, [m('g1', 3), m('g2', 1, true, 0.5), m('g3', 2, false)]), entry('cpu', 20, 50, [m('c1'), m('c2', 5)]), entry('cpu2', 20, 150, [m('d1')])];
      const prep = preparePriorityThenWeight(es);
      const excludes = [new Set<string>(), new Set(['gpu/g1']), new Set(['gpu/g1', 'gpu/g2']), new Set(['gpu/g1', 'gpu/g2', 'cpu2/d1']), new Set(['gpu/g1', 'gpu/g2', 'cpu/c1', 'cpu/c2', 'cpu2/d1'])];
      const a = seeded(7);
      const b = seeded(7);
      const seen = new Set<string>();
      for (let i = 0; i < 10_000; i++) {
        const exclude = excludes[i % excludes.length];
        const c = choosePrepared(prep, a, exclude);
        const r = pickPrepared(prep, { random: b, exclude });
        const got = c ? { entry: c.entry.name, member: c.member.name, priority: c.priority } : undefined;
        expect(got).to.deep.equal(r.pick);
        seen.add(got ? `${got.entry}/${got.member}` : 'none');
      }
      // Every usable member and the no-member case came up: the comparison covered them all.
      expect([...seen].sort()).to.deep.equal(['cpu/c1', 'cpu/c2', 'cpu2/d1', 'gpu/g1', 'gpu/g2', 'none']);
    });
  });
});
