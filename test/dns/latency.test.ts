import { expect } from 'chai';
import { LATENCY_BUCKETS, LatencyHistogram, latencyBucket, latencyBucketLow, latencyQuantile } from '../../src/dns/latency';

describe('dns: processing-time histogram (log buckets)', () => {
  it('puts every value into the bucket whose range holds it, bounded at both ends', () => {
    for (const ns of [2, 3, 4, 5, 7, 8, 999, 1000, 1023, 1024, 65_537, 1_000_000, 123_456_789, 2 ** 31, 2 ** 32 - 2]) {
      const b = latencyBucket(ns);
      expect(latencyBucketLow(b), `${ns}`).to.be.at.most(ns);
      expect(latencyBucketLow(b + 1), `${ns}`).to.be.above(ns);
    }
    expect(latencyBucket(0)).to.equal(0);
    expect(latencyBucket(-5)).to.equal(0);
    expect(latencyBucket(1e12)).to.equal(latencyBucket(2 ** 32 - 1));
    expect(latencyBucket(2 ** 32 - 1)).to.be.below(LATENCY_BUCKETS);
  });

  it('gives quantiles within a bucket of the true value, undefined when empty', () => {
    const h = new LatencyHistogram();
    expect(latencyQuantile(h.snapshot(), 0.5)).to.equal(undefined);
    for (let i = 1; i <= 1000; i++) h.record(i * 1000);
    const p50 = latencyQuantile(h.snapshot(), 0.5)!;
    const p99 = latencyQuantile(h.snapshot(), 0.99)!;
    expect(p50).to.be.within(500_000 * 0.85, 500_000 * 1.15);
    expect(p99).to.be.within(990_000 * 0.85, 990_000 * 1.15);
  });

  it('counts the time since an hrtime reading', () => {
    const h = new LatencyHistogram();
    h.since(process.hrtime.bigint());
    expect(h.snapshot().reduce((a, b) => a + b, 0)).to.equal(1);
  });
});
