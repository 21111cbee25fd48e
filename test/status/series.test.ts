import { expect } from 'chai';
import { SeriesSampler, SeriesStore } from '../../src/status/series';
import { LatencyHistogram } from '../../src/dns/latency';
import type { MemberStatus } from '../../src/status/types';

const member = (m: string, factor: number, ready: boolean): MemberStatus => ({ tier: 'datacenter', service: 's', member: m, present: true, ready, factor, staticWeight: 10, effectiveWeight: 10 * factor, source: 'signals' });

describe('status: series over time (rings, injected clock)', () => {
  it('keeps only the last N points on one time axis, NaN (null) where a series had no value', () => {
    const st = new SeriesStore({ stepMs: 1000, points: 3 });
    for (let i = 1; i <= 5; i++) {
      st.begin(i * 1000);
      st.set('qps', 'total', i);
      if (i % 2 === 1) st.set('qps', 'NXDOMAIN', i * 10);
    }
    const v = st.view();
    expect(v.t).to.deep.equal([3000, 4000, 5000]);
    expect(v.from).to.equal(2000);
    expect(v.groups.qps).to.deep.equal({ total: [3, 4, 5], NXDOMAIN: [30, null, 50] });
    expect(v.stepSeconds).to.equal(1);
  });

  it('bounds the number of series, counts the ones not kept, and forgets series gone from the window', () => {
    const st = new SeriesStore({ stepMs: 1000, points: 2, maxSeries: 2 });
    st.begin(1);
    st.set('answers', 'a', 1);
    st.set('answers', 'b', 1);
    st.set('answers', 'c', 1);
    expect(Object.keys(st.view().groups.answers ?? {})).to.deep.equal(['a', 'b']);
    expect(st.view().droppedSeries).to.equal(1);
    st.begin(2);
    st.set('answers', 'a', 2);
    st.begin(3);
    st.set('answers', 'a', 3);
    // b has no value left in the window: forgotten, so c finds room.
    expect(Object.keys(st.view().groups.answers ?? {})).to.deep.equal(['a']);
    st.set('answers', 'c', 3);
    expect(st.view().groups.answers).to.deep.equal({ a: [2, 3], c: [null, 3] });
  });

  it('rejects a store that cannot hold a series', () => {
    expect(() => new SeriesStore({ stepMs: 0 })).to.throw(RangeError, /positive step/);
    expect(() => new SeriesStore({ points: 1 })).to.throw(RangeError, /at least 2 points/);
    expect(() => new SeriesStore({ maxSeries: 0 })).to.throw(RangeError);
  });

  it('samples rates per RCODE, latency quantiles, answers per member, factor, readiness and BGP from cumulative sources', () => {
    let now = 100_000;
    const rcodes: Record<string, number> = { NOERROR: 50 };
    const hist = new LatencyHistogram();
    let members = [member('dc-1', 1, true), member('dc-2', 0.5, false)];
    let sessions = [{ neighbor: '192.0.2.1', state: 'Established', announced: [] }];
    const st = new SeriesStore({ stepMs: 2000, points: 10 });
    const sampler = new SeriesSampler(st, { repliesByRcode: () => rcodes, latency: () => hist.snapshot(), members: () => members, bgp: () => sessions }, () => now);
    // Step 1: 200 NOERROR and 20 NXDOMAIN in 2 s; 99 fast queries (10 µs) and one slow (1 ms).
    rcodes.NOERROR += 200;
    rcodes.NXDOMAIN = 20;
    for (let i = 0; i < 99; i++) hist.record(10_000);
    hist.record(1_000_000);
    sampler.addAnswers('s', 'dc-1', 30);
    sampler.addAnswers('s', 'dc-1', 10);
    now += 2000;
    sampler.sample();
    // Step 2: nothing answered, dc-2 ready again, the session down; only slow queries.
    members = [member('dc-1', 1, true), member('dc-2', 1, true)];
    sessions = [{ neighbor: '192.0.2.1', state: 'Active', announced: [] }];
    for (let i = 0; i < 10; i++) hist.record(1_000_000);
    now += 2000;
    sampler.sample();
    const v = st.view();
    expect(v.t).to.deep.equal([102_000, 104_000]);
    expect(v.from).to.equal(100_000);
    expect(v.groups.qps).to.deep.equal({ NOERROR: [100, 0], NXDOMAIN: [10, 0], total: [110, 0] });
    // Quantiles are bucket midpoints: within a bucket's width (≤ 25 %) of the true value.
    const [p50a, p50b] = v.groups.latency!.p50;
    expect(p50a).to.be.within(10 * 0.85, 10 * 1.15);
    expect(p50b).to.be.within(1000 * 0.85, 1000 * 1.15);
    expect(v.groups.latency!.p99[0]).to.be.within(10 * 0.85, 10 * 1.15);
    expect(v.groups.answers).to.deep.equal({ 's/dc-1': [20, 0] });
    expect(v.groups.factor).to.deep.equal({ 's/dc-1': [1, 1], 's/dc-2': [0.5, 1] });
    expect(v.groups.ready).to.deep.equal({ 's/dc-1': [1, 1], 's/dc-2': [0, 1] });
    expect(v.groups.bgp).to.deep.equal({ '192.0.2.1': [1, 0] });
  });

  it('takes no point when the clock has not moved, and leaves latency out of a step without queries', () => {
    const now = 5000;
    const hist = new LatencyHistogram();
    const st = new SeriesStore({ stepMs: 1000, points: 4 });
    const sampler = new SeriesSampler(st, { repliesByRcode: () => ({}), latency: () => hist.snapshot() }, () => now);
    sampler.sample();
    expect(st.view().t).to.deep.equal([]);
    let t = now;
    const s2 = new SeriesSampler(st, { repliesByRcode: () => ({}), latency: () => hist.snapshot() }, () => t);
    t += 1000;
    s2.sample();
    expect(st.view().groups).to.deep.equal({ qps: { total: [0] } });
  });
});
