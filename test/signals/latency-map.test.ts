import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LATENCY_BYTES_PER_NETWORK, LatencyMap, latencyView } from '../../src/signals/latency-map';
import { networkKeyOf } from '../../src/util/network-key';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const NET_A = networkKeyOf('198.51.100.7');
const NET_B = networkKeyOf('2001:db8:7::1');

describe('signals/latency-map', () => {
  it('keeps an EWMA of report medians per network and datacenter, with samples and last report', () => {
    const c = clock();
    const m = new LatencyMap({ now: c.now, alpha: 0.1 });
    m.record('datacenter-1', NET_A, 40, 5);
    expect(m.get(NET_A)).to.deep.equal([{ datacenter: 'datacenter-1', rttMs: 40, samples: 5, lastSeen: c.t }]);
    c.t += 1000;
    // 10 samples at 10 ms move the estimate by 1 − 0.9^10 of the way.
    m.record('datacenter-1', NET_A, 10, 10);
    const e = m.get(NET_A)![0];
    expect(e.rttMs).to.be.closeTo(40 - 30 * (1 - 0.9 ** 10), 1e-9);
    expect(e.samples).to.equal(15);
    expect(e.lastSeen).to.equal(c.t);
    m.record('datacenter-2', NET_A, 80, 1);
    expect(m.get(NET_A)!.map((x) => x.datacenter)).to.deep.equal(['datacenter-1', 'datacenter-2']);
    expect(m.size).to.equal(1);
  });

  it('ignores reports without samples or with a non-finite median, and bumps the version on change only', () => {
    const m = new LatencyMap();
    m.record('dc', NET_A, NaN, 3);
    m.record('dc', NET_A, 5, 0);
    m.record('dc', NET_A, -1, 1);
    expect(m.size).to.equal(0);
    expect(m.version).to.equal(0);
    m.record('dc', NET_B, 5, 1);
    expect(m.version).to.equal(1);
  });

  it('is bounded: past maxNetworks the least recently reported network is evicted', () => {
    const m = new LatencyMap({ maxNetworks: 3 });
    for (const a of ['10.0.1.0', '10.0.2.0', '10.0.3.0']) m.record('dc', networkKeyOf(a), 10, 1);
    m.record('dc', networkKeyOf('10.0.1.0'), 10, 1); // reported again: now the most recent
    m.record('dc', networkKeyOf('10.0.4.0'), 10, 1);
    expect(m.size).to.equal(3);
    expect(m.evicted).to.equal(1);
    expect(m.get(networkKeyOf('10.0.2.0'))).to.equal(undefined);
    expect(m.get(networkKeyOf('10.0.1.0'))).to.not.equal(undefined);
  });

  it('expires networks by age, oldest first, and restarts a datacenter estimate gone stale', () => {
    const c = clock();
    const m = new LatencyMap({ now: c.now, maxAgeMs: 10_000 });
    m.record('dc-1', NET_A, 100, 50);
    c.t += 6000;
    m.record('dc-1', NET_B, 20, 1);
    c.t += 5000;
    expect(m.sweep()).to.equal(1);
    expect(m.get(NET_A)).to.equal(undefined);
    expect(m.expired).to.equal(1);
    c.t += 20_000;
    m.record('dc-1', NET_B, 7, 1);
    // The old estimate (20 ms) was past its age: the new one starts afresh.
    expect(m.get(NET_B)).to.deep.equal([{ datacenter: 'dc-1', rttMs: 7, samples: 1, lastSeen: c.t }]);
  });

  it('applies a batch of one datacenter and counts coverage', () => {
    const c = clock();
    const m = new LatencyMap({ now: c.now });
    m.apply({ datacenter: 'dc-1', keys: [NET_A, NET_B], medians: [12, 30], counts: [3, 1] });
    m.apply({ datacenter: 'dc-2', keys: [NET_A], medians: [8], counts: [4] });
    expect(m.coverage(2)).to.deep.equal({ 'dc-1': 1, 'dc-2': 1 });
    expect(m.coverage(1)).to.deep.equal({ 'dc-1': 2, 'dc-2': 1 });
  });

  it('dumps and restores with ages, dropping what aged out meanwhile', () => {
    const c = clock();
    const m = new LatencyMap({ now: c.now, maxAgeMs: 60_000 });
    m.record('dc-1', NET_A, 12, 3);
    c.t += 50_000;
    m.record('dc-2', NET_B, 30, 1);
    const d = m.dump();
    const c2 = clock(5_000_000);
    const n = new LatencyMap({ now: c2.now, maxAgeMs: 60_000 });
    expect(n.restore(d, 20_000)).to.equal(1);
    expect(n.get(NET_A)).to.equal(undefined);
    expect(n.get(NET_B)).to.deep.equal([{ datacenter: 'dc-2', rttMs: 30, samples: 1, lastSeen: c2.t - 20_000 }]);
  });

  it('rejects bad options where it is built', () => {
    expect(() => new LatencyMap({ maxNetworks: 0 })).to.throw(RangeError);
    expect(() => new LatencyMap({ alpha: 0 })).to.throw(RangeError);
    expect(() => new LatencyMap({ prefixes: { v4: 24, v6: 56 } })).to.throw(/IPv6 network prefix must be 1..48/);
  });

  it(`memory: at most ${LATENCY_BYTES_PER_NETWORK} bytes of heap per network (one datacenter each)`, () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const N = 200_000;
    gc();
    const before = process.memoryUsage().heapUsed;
    const m = new LatencyMap({ maxNetworks: N });
    for (let i = 0; i < N; i++) m.record('datacenter-1', (0x0a000000 + i * 256) >>> 0, 10 + (i % 50), 1 + (i % 7), 1_000_000);
    gc();
    const per = (process.memoryUsage().heapUsed - before) / N;
    expect(m.size).to.equal(N);
    console.log(`      latency map: ${per.toFixed(0)} bytes of heap per network`);
    expect(per).to.be.below(LATENCY_BYTES_PER_NETWORK);
  });

  it('latencyView: size and coverage, one network by any of its addresses, a bad address as an error', () => {
    let now = 1_000_000;
    const m = new LatencyMap({ now: () => now });
    m.record('datacenter-1', networkKeyOf('198.51.100.0'), 20, 5);
    m.record('datacenter-2', networkKeyOf('198.51.100.0'), 40, 5);
    m.record('datacenter-2', networkKeyOf('2001:db8:7::'), 30, 2);
    now += 2500;
    const all = latencyView(m, null, now);
    expect(all).to.deep.include({ networks: 2, evicted: 0, expired: 0, coverage: { 'datacenter-1': 1, 'datacenter-2': 2 } });
    expect(all.estimates).to.equal(undefined);
    const one = latencyView(m, '198.51.100.77', now);
    expect(one.network).to.equal('198.51.100.0/24');
    expect(one.estimates).to.deep.equal([{ datacenter: 'datacenter-1', rttMs: 20, samples: 5, ageSeconds: 2.5 }, { datacenter: 'datacenter-2', rttMs: 40, samples: 5, ageSeconds: 2.5 }]);
    expect(latencyView(m, '2001:db8:7:1::/64', now).network).to.equal('2001:db8:7::/48');
    expect(latencyView(m, '203.0.113.1', now).estimates).to.deep.equal([]);
    expect(latencyView(m, 'nope', now).error).to.match(/^network=nope: /);
  });
});
