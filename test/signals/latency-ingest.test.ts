import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LatencyMap } from '../../src/signals/latency-map';
import type { LatencyBatch } from '../../src/signals/latency-map';
import { LatencyReporter } from '../../src/signals/latency-reporter';
import { NetworkQuota, histogramMedian } from '../../src/signals/latency-extract';
import type { LatencyRejectReason } from '../../src/signals/latency-extract';
import { networkKeyOf } from '../../src/util/network-key';
import { TOKEN_DC1, TOKEN_DC2, jsonHeaders, post, startTestReceiver } from './helpers';

const DC1 = { tier: 'datacenter' as const, service: 'my-service', member: 'datacenter-1' };
const KNOWN = new Set(['datacenter/my-service/datacenter-1']);

/** A receiver that keeps the latency batches and counts rejections by reason. */
async function rig(opts: { quota?: number } = {}) {
  const batches: LatencyBatch[] = [];
  const rejected: Partial<Record<LatencyRejectReason, number>> = {};
  const r = await startTestReceiver({}, {
    latency: { datacenters: KNOWN, ...(opts.quota ? { quota: new NetworkQuota(opts.quota) } : {}) },
    onLatency: (b) => batches.push(b),
    observer: { ingest: () => undefined, refused: () => undefined, latencyRejected: (reason, n) => { rejected[reason] = (rejected[reason] ?? 0) + n; } },
  });
  return { ...r, batches, rejected };
}

/** An OTLP/JSON body with one anypick.client.rtt histogram point per network. */
function body(member: string, points: Array<{ network: unknown; counts: number[]; bounds?: number[]; unit?: string }>, temporality = 1, tier = 'datacenter'): string {
  return JSON.stringify({
    resourceMetrics: [{
      resource: { attributes: [
        { key: 'anypick.tier', value: { stringValue: tier } },
        { key: 'anypick.service', value: { stringValue: 'my-service' } },
        { key: 'anypick.member', value: { stringValue: member } },
      ] },
      scopeMetrics: [{ metrics: [{
        name: 'anypick.client.rtt', unit: points[0]?.unit ?? 'ms',
        histogram: { aggregationTemporality: temporality, dataPoints: points.map((p) => ({
          attributes: [{ key: 'anypick.client.network', value: typeof p.network === 'string' ? { stringValue: p.network } : { intValue: String(p.network) } }],
          count: String(p.counts.reduce((a, b) => a + b, 0)),
          bucketCounts: p.counts.map(String),
          explicitBounds: p.bounds ?? [10, 50, 100],
        })) },
      }] }],
    }],
  });
}

describe('signals/latency ingest (anypick.client.rtt)', () => {
  it('the median of a histogram, interpolated in its bucket', () => {
    const h = (c: number[], b = [10, 50, 100]) => ({ count: c.reduce((a, x) => a + x, 0), bucketCounts: c, explicitBounds: b, min: NaN, max: NaN });
    expect(histogramMedian(h([0, 4, 0, 0]))).to.equal(30); // 2 of 4 in 10..50
    expect(histogramMedian(h([2, 2, 0, 0]))).to.equal(10);
    expect(histogramMedian(h([0, 0, 0, 3]))).to.equal(undefined); // beyond the last bound without max
    expect(histogramMedian({ ...h([0, 0, 0, 2]), max: 300 })).to.equal(200);
    expect(histogramMedian(h([0, 0, 0, 0]))).to.equal(undefined);
  });

  it('takes the histogram from the OpenTelemetry SDK exporter (delta, protobuf) into a batch per network', async () => {
    const r = await rig();
    const rep = new LatencyReporter({ id: DC1, endpoints: [r.url], token: TOKEN_DC1, intervalMs: 3_600_000 });
    try {
      for (const rtt of [12, 14, 16, 18]) rep.record('198.51.100.7', rtt);
      for (const rtt of [80, 90]) rep.record('2001:db8:7::1', rtt);
      await rep.flush();
      expect(r.batches).to.have.length(1);
      const b = r.batches[0];
      expect(b.datacenter).to.equal('datacenter-1');
      const byKey = new Map([...Array.from(b.keys)].map((k, i) => [k, { median: b.medians[i], count: b.counts[i] }]));
      // 4 samples in the 10..20 bucket: median at half of it; 2 in 75..100: median 87.5.
      expect(byKey.get(networkKeyOf('198.51.100.0'))).to.deep.equal({ median: 15, count: 4 });
      expect(byKey.get(networkKeyOf('2001:db8:7::'))).to.deep.equal({ median: 87.5, count: 2 });
      // Delta: the next export carries only the new connections.
      rep.record('198.51.100.9', 3);
      await rep.flush();
      expect(r.batches).to.have.length(2);
      expect(Array.from(r.batches[1].counts)).to.deep.equal([1]);
      const map = new LatencyMap();
      for (const x of r.batches) map.apply(x);
      expect(map.get(networkKeyOf('198.51.100.0'))![0].samples).to.equal(5);
    } finally {
      await rep.stop();
      await r.close();
    }
  });

  it('the example body of docs/datacenter-pick.md is accepted: median 13.3 ms over 4 connections', async () => {
    const md = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'datacenter-pick.md'), 'utf8');
    const bodies = [...md.matchAll(/^```json otlp:metrics:client-rtt\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    expect(bodies).to.have.length(1);
    const r = await rig();
    try {
      const res = await post(`${r.url}/v1/metrics`, bodies[0], jsonHeaders());
      expect(res.status).to.equal(200);
      expect(res.json()).to.deep.equal({});
      expect(Array.from(r.batches[0].keys)).to.deep.equal([networkKeyOf('198.51.100.0')]);
      expect(r.batches[0].medians[0]).to.be.closeTo(10 + (2 - 1) / 3 * 10, 1e-9);
      expect(Array.from(r.batches[0].counts)).to.deep.equal([4]);
    } finally {
      await r.close();
    }
  });

  it('refuses bad input with a counter per reason and applies the rest', async () => {
    const r = await rig();
    try {
      const res = await post(`${r.url}/v1/metrics`, body('datacenter-1', [
        { network: '198.51.100.0/24', counts: [0, 3, 0, 0] },
        { network: '198.51.100.0/24', counts: [0, 0, 0, 5] }, // median beyond 100 ms without max: absurd
        { network: '198.51.0.0/16', counts: [1, 0, 0, 0] },
        { network: '198.51.100.7/24', counts: [1, 0, 0, 0] },
        { network: 7, counts: [1, 0, 0, 0] },
        { network: '203.0.113.0/24', counts: [1, 0, 0, 0], bounds: [-5, 50, 100] },
        { network: '203.0.113.0/24', counts: [1, 0, 0], bounds: [10, 50, 100] },
      ]), jsonHeaders());
      expect(res.status).to.equal(200);
      expect(res.json().partialSuccess.rejectedDataPoints).to.equal('6');
      expect(r.rejected).to.deep.equal({ 'absurd-rtt': 2, 'bad-network': 3, 'bad-format': 1 });
      expect(r.batches).to.have.length(1);
      expect(Array.from(r.batches[0].keys)).to.deep.equal([networkKeyOf('198.51.100.0')]);

      // An RTT above 10 s (median in 5000..20000 ms) is absurd.
      await post(`${r.url}/v1/metrics`, body('datacenter-1', [{ network: '192.0.2.0/24', counts: [0, 0, 4], bounds: [5000, 20000] }]), jsonHeaders());
      expect(r.rejected['absurd-rtt']).to.equal(3);
      // Cumulative temporality and another unit are refused as a bad format.
      await post(`${r.url}/v1/metrics`, body('datacenter-1', [{ network: '192.0.2.0/24', counts: [1, 0, 0, 0] }], 2), jsonHeaders());
      await post(`${r.url}/v1/metrics`, body('datacenter-1', [{ network: '192.0.2.0/24', counts: [1, 0, 0, 0], unit: 's' }]), jsonHeaders());
      expect(r.rejected['bad-format']).to.equal(3);
      // datacenter-2 holds a token but is not a datacenter of the loaded delivery here.
      await post(`${r.url}/v1/metrics`, body('datacenter-2', [{ network: '192.0.2.0/24', counts: [1, 0, 0, 0] }]), jsonHeaders(TOKEN_DC2));
      expect(r.rejected['unknown-datacenter']).to.equal(1);
      // datacenter-1's report sent with datacenter-2's token: 403, nothing applied, counted.
      const foreign = await post(`${r.url}/v1/metrics`, body('datacenter-1', [{ network: '192.0.2.0/24', counts: [1, 0, 0, 0] }, { network: '192.0.3.0/24', counts: [1, 0, 0, 0] }]), jsonHeaders(TOKEN_DC2));
      expect(foreign.status).to.equal(403);
      expect(r.rejected['wrong-token']).to.equal(2);
      expect(r.batches).to.have.length(1);
    } finally {
      await r.close();
    }
  });

  it('a flood of distinct networks from one datacenter stops at its quota per minute', async () => {
    const r = await rig({ quota: 50 });
    try {
      const nets = Array.from({ length: 120 }, (_, i) => ({ network: `10.${i >> 8}.${i & 255}.0/24`, counts: [1, 0, 0, 0] }));
      await post(`${r.url}/v1/metrics`, body('datacenter-1', nets), jsonHeaders());
      expect(r.rejected['too-many-networks']).to.equal(70);
      expect(r.batches[0].keys).to.have.length(50);
      // Networks already admitted this minute still update.
      await post(`${r.url}/v1/metrics`, body('datacenter-1', nets.slice(0, 10)), jsonHeaders());
      expect(r.batches[1].keys).to.have.length(10);
      expect(r.rejected['too-many-networks']).to.equal(70);
    } finally {
      await r.close();
    }
  });
});
