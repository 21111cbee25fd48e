import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPaths } from '../../src/config/load';
import { GeoDatabase } from '../../src/geo/database';
import { DatacenterResponder } from '../../src/pick/datacenter-responder';
import { datacenterServices } from '../../src/pick/datacenter-services';
import type { DcMemberSpec, DcServiceSpec } from '../../src/pick/datacenter-services';
import type { DatacenterCandidate } from '../../src/pick/datacenter-strategy';
import { DEFAULT_LATENCY_OPTIONS, explorationHash, pickByLatency, planLatency } from '../../src/pick/latency-strategy';
import { seededRandom } from '../../src/pick/random';
import { LatencyMap } from '../../src/signals/latency-map';
import { networkKeyOf } from '../../src/util/network-key';
import { ROOT, SAMPLE_DB } from '../geo/support';
import { EXAMPLE_ZONE } from '../gslb/support';

const NOW = 10_000_000;
const LAT = { ...DEFAULT_LATENCY_OPTIONS, prefixes: { v4: 24, v6: 48 } };
const cand = (name: string, extra: Partial<DatacenterCandidate> = {}): DatacenterCandidate => ({ name, staticWeight: 10, dynamic: true, targets: [], ...extra });
const est = (datacenter: string, rttMs: number, samples = 50, age = 1000) => ({ datacenter, rttMs, samples, lastSeen: NOW - age });
const CANDS = [cand('dc1', { location: { lat: 50, lon: 8 } }), cand('dc2'), cand('dc3')];

describe('pick/latency-strategy: measured-latency-then-dynamic-weight', () => {
  it('picks the fastest measured datacenter, whatever the geography', () => {
    const lp = planLatency(CANDS, [est('dc1', 80), est('dc2', 12), est('dc3', 40)], {}, LAT, NOW, 0.9, 0.5)!;
    expect(lp.plan.groups.map((g) => g.map((i) => CANDS[i].name))).to.deep.equal([['dc2'], ['dc3'], ['dc1']]);
    expect(lp.landing).to.equal(0);
    expect(lp.explored).to.equal(false);
    expect(lp.reason).to.match(/^measured latency decided \(dc2 12 ms, dc3 40 ms, dc1 80 ms; .*fastest group 1 \(dc2 at 12 ms, tolerance 5 ms\)/);
  });

  it('datacenters within the tolerance share the network by weight', () => {
    const rand = seededRandom(3);
    const n = { dc2: 0, dc3: 0, dc1: 0 } as Record<string, number>;
    for (let i = 0; i < 10_000; i++) {
      const p = pickByLatency(CANDS.map((c) => (c.name === 'dc3' ? { ...c, staticWeight: 30 } : c)), [est('dc1', 80), est('dc2', 12), est('dc3', 15)], {}, LAT, NOW, 0.9, 0.5, rand)!;
      n[p.picked[0].name]++;
    }
    expect(n.dc1).to.equal(0);
    expect(Math.abs(n.dc3 / 10_000 - 0.75)).to.be.below(0.02 * 0.75);
  });

  it('falls back to location without enough fresh samples from two ready datacenters', () => {
    const rows: Array<[string, Parameters<typeof planLatency>[1], DatacenterCandidate[]]> = [
      ['no data', undefined, CANDS],
      ['one datacenter measured of three', [est('dc2', 12)], CANDS],
      ['too few samples', [est('dc2', 12, 9), est('dc3', 40, 9)], CANDS],
      ['too old', [est('dc2', 12, 50, 600_001), est('dc3', 40, 50, 600_001)], CANDS],
      ['the measured ones are not ready', [est('dc2', 12), est('dc3', 40)], [cand('dc1'), cand('dc2', { live: { present: false, ready: false, factor: 0 } }), cand('dc3', { live: { present: true, ready: false, factor: 0 } })]],
    ];
    for (const [why, e, c] of rows) expect(planLatency(c, e, {}, LAT, NOW, 0.9, 0.5), why).to.equal(undefined);
    // With only one ready datacenter, one measurement is enough.
    expect(planLatency([cand('dc2')], [est('dc2', 12)], {}, LAT, NOW, 0.9, 0.5)).to.not.equal(undefined);
  });

  it('a not-ready fastest datacenter is skipped for the next fastest', () => {
    const c = [cand('dc1'), cand('dc2', { live: { present: true, ready: false, factor: 0 } }), cand('dc3')];
    const p = pickByLatency(c, [est('dc1', 80), est('dc2', 12), est('dc3', 40)], {}, LAT, NOW, 0.9, 0.5, seededRandom(1))!;
    expect(p.picked.map((x) => x.name)).to.deep.equal(['dc3']);
  });

  it('exploration: a network whose hash is under the share goes to the second-fastest group', () => {
    const lp = planLatency(CANDS, [est('dc1', 80), est('dc2', 12), est('dc3', 40)], {}, LAT, NOW, 0.01, 0.5)!;
    expect(lp.explored).to.equal(true);
    expect(lp.plan.groups[lp.landing].map((i) => CANDS[i].name)).to.deep.equal(['dc3']);
    expect(lp.reason).to.include('this network explores (hash 0.010 < 0.05): group 2 (dc3 at 40 ms)');
  });

  it('the exploration hash sends about 5 % of networks each period, stable within it and changing across periods', () => {
    const N = 20_000;
    let now = 0;
    let later = 0;
    let both = 0;
    for (let i = 0; i < N; i++) {
      const net = `10.${i >> 8}.${i & 255}.0/24`;
      const a = explorationHash(net, NOW) < 0.05;
      const b = explorationHash(net, NOW + 600_000) < 0.05;
      if (a) now++;
      if (b) later++;
      if (a && b) both++;
      expect(explorationHash(net, NOW + 1)).to.equal(explorationHash(net, NOW));
    }
    // Binomial(20000, 0.05): sd ≈ 31; 4 sd either side.
    for (const k of [now, later]) expect(Math.abs(k - 1000)).to.be.below(124);
    // Independent periods: about 0.25 % explore in both.
    expect(both).to.be.below(100);
  });
});

describe('pick/datacenter-responder with measured latency', () => {
  let geo: GeoDatabase;
  before(() => (geo = GeoDatabase.open(SAMPLE_DB, { watch: false })));
  after(() => geo.close());

  const pos = { file: 't.delivery', line: 1, col: 1 };
  const member = (name: string, v6: string): DcMemberSpec => ({ name, weight: 10, dynamic: true, pos, targets: [{ address: v6, family: 6, network: `${v6}/56`, ttl: 90, pos }] });
  const spec: DcServiceSpec = {
    service: 'my-service', name: 'example.com', membership: false, options: {}, sticky: false, pos,
    latency: { ...DEFAULT_LATENCY_OPTIONS, exploration: 0, prefixes: { v4: 24, v6: 48 } },
    members: [member('dc1', '2001:db8:ae21:7700::'), member('dc2', '2001:db8:478:2800::'), member('dc3', '2001:db8:c001:e400::')],
  };
  const ecs = (address: string, sourcePrefix: number) => ({ address: '127.0.0.1', family: 4 as const, ecs: { family: (address.includes(':') ? 2 : 1) as 1 | 2, sourcePrefix, address } });

  it('answers the fastest datacenter with the latency network as ECS scope; location before data and for coarse ECS', () => {
    const c = { t: NOW };
    const map = new LatencyMap({ now: () => c.t });
    const r = new DatacenterResponder(spec, { geo, latency: map, now: () => c.t, rand: seededRandom(1) });
    // 10.2.0.0/16 is Frankfurt in the sample database: nearest is dc2 (geo of its block).
    const before = r.answer('AAAA', ecs('10.2.7.0', 24))!;
    expect(before.records.map((x) => x.data)).to.deep.equal(['2001:db8:478:2800::']);
    expect(before.scopePrefix).to.equal(16);
    map.apply({ datacenter: 'dc1', keys: [networkKeyOf('10.2.7.0')], medians: [9], counts: [20] });
    map.apply({ datacenter: 'dc2', keys: [networkKeyOf('10.2.7.0')], medians: [70], counts: [20] });
    const after = r.answer('AAAA', ecs('10.2.7.0', 24))!;
    expect(after.records.map((x) => x.data)).to.deep.equal(['2001:db8:ae21:7700::']);
    expect(after.scopePrefix).to.equal(24);
    // Another /24 of the same geo network has no data: still location.
    expect(r.answer('AAAA', ecs('10.2.8.0', 24))!.records[0].data).to.equal('2001:db8:478:2800::');
    // An ECS /16 cannot name one /24: location.
    expect(r.answer('AAAA', ecs('10.2.0.0', 16))!.records[0].data).to.equal('2001:db8:478:2800::');
    // New samples move the answer back (the EWMA follows them).
    map.apply({ datacenter: 'dc1', keys: [networkKeyOf('10.2.7.0')], medians: [200], counts: [40] });
    expect(r.answer('AAAA', ecs('10.2.7.0', 24))!.records[0].data).to.equal('2001:db8:478:2800::');
    // And so does age: past latency-max-age (10 min) the data no longer counts.
    map.apply({ datacenter: 'dc1', keys: [networkKeyOf('10.2.7.0')], medians: [1], counts: [500] });
    expect(r.answer('AAAA', ecs('10.2.7.0', 24))!.records[0].data).to.equal('2001:db8:ae21:7700::');
    c.t += 600_001 + 60_000;
    expect(r.answer('AAAA', ecs('10.2.7.0', 24))!.records[0].data).to.equal('2001:db8:478:2800::');
    // The explanation says what decided.
    c.t = NOW + 1000;
    map.apply({ datacenter: 'dc1', keys: [networkKeyOf('10.2.7.0')], medians: [1], counts: [500] });
    map.apply({ datacenter: 'dc2', keys: [networkKeyOf('10.2.7.0')], medians: [70], counts: [20] });
    const d = r.decide('AAAA', ecs('10.2.7.0', 24))!;
    expect(d.latency).to.deep.include({ decidedBy: 'latency', network: '10.2.7.0/24', explored: false });
    expect(d.pick.picked[0].name).to.equal('dc1');
    const loc = r.decide('AAAA', ecs('10.2.8.0', 24))!;
    expect(loc.latency!.decidedBy).to.equal('location');
    expect(loc.latency!.why).to.match(/too few fresh measurements for 10\.2\.8\.0\/24/);
  });

  it('without ECS the querying address\'s network is looked up', () => {
    const map = new LatencyMap({ now: () => NOW });
    const r = new DatacenterResponder(spec, { geo, latency: map, now: () => NOW });
    map.apply({ datacenter: 'dc3', keys: [networkKeyOf('127.0.1.0')], medians: [3], counts: [20] });
    map.apply({ datacenter: 'dc1', keys: [networkKeyOf('127.0.1.0')], medians: [30], counts: [20] });
    const a = r.answer('AAAA', { address: '127.0.1.1', family: 4 })!;
    expect(a.records[0].data).to.equal('2001:db8:c001:e400::');
    expect(a.scopePrefix).to.equal(24);
  });
});

describe('docs/datacenter-pick.md: the measured-latency example', () => {
  it('loads with the options it documents', () => {
    const text = readFileSync(join(ROOT, 'docs', 'datacenter-pick.md'), 'utf8');
    const blocks = [...text.matchAll(/```delivery latency\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).to.have.length(1);
    const dir = mkdtempSync(join(tmpdir(), 'anypick-latdoc-'));
    try {
      writeFileSync(join(dir, 'example.com.zone'), EXAMPLE_ZONE);
      writeFileSync(join(dir, 'doc.delivery'), blocks[0]);
      const r = loadPaths([dir]);
      expect(r.errors.map((e) => e.format())).to.deep.equal([]);
      const [s] = datacenterServices(r.model);
      expect(s.latency).to.deep.equal({ toleranceMs: 5, minSamples: 20, maxAgeMs: 900_000, exploration: 0.05, prefixes: { v4: 24, v6: 48 } });
      expect(s.options).to.deep.equal({ toleranceKm: 500 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses latency options on other strategies and bad values, at the column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-latbad-'));
    try {
      writeFileSync(join(dir, 'example.com.zone'), EXAMPLE_ZONE);
      const base = (opts: string, strategy = 'measured-latency-then-dynamic-weight') => `service my-service:\n  listen "https://example.com"\n  next-hop-strategy:\n    dynamic: ${strategy}\n${opts}  next-hop-members:\n    datacenter-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56"\n`;
      const rows: Array<[string, string, RegExp]> = [
        ['exploration on location', base('    exploration: 5%\n', 'internet-location-then-dynamic-weight'), /'exploration' belongs to strategy 'measured-latency-then-dynamic-weight'/],
        ['exploration too large', base('    exploration: 60%\n'), /bad exploration '60%'/],
        ['min samples 0', base('    latency-min-samples: 0\n'), /latency-min-samples 0 out of range/],
        ['v6 prefix 56', base('    latency-networks: /24 /56\n'), /IPv6 latency network prefix 56 out of range 16..48/],
      ];
      for (const [why, text, re] of rows) {
        writeFileSync(join(dir, 'a.delivery'), text);
        const r = loadPaths([dir]);
        expect(r.errors.map((e) => e.format()).join('\n'), why).to.match(re);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
