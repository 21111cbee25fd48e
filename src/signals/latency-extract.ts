/**
 * The client latency metric (docs/datacenter-pick.md, "The metric"): the OTLP histogram
 * `anypick.client.rtt`, unit `ms`, delta temporality, one point per client network (attribute
 * `anypick.client.network`, a CIDR), sent by a datacenter member with its own token. Checked
 * here into a LatencyBatch for the latency map; every refusal is counted by reason.
 */
import { DEFAULT_NETWORK_PREFIXES, parseNetworkKey } from '../util/network-key';
import type { NetworkPrefixes } from '../util/network-key';
import type { LatencyBatch } from './latency-map';
import { memberKey } from './signal';
import type { MemberId } from './signal';
import { TEMPORALITY_DELTA } from './wire/types';
import type { OtlpHistogramPoint, OtlpMetric } from './wire/types';

/** The metric's name. */
export const CLIENT_RTT_METRIC = 'anypick.client.rtt';
/** The data point attribute naming the client network. */
export const CLIENT_NETWORK_ATTR = 'anypick.client.network';
/** The bucket bounds anypick's own senders use, ms (any increasing bounds are accepted). */
export const RTT_BOUNDS_MS = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000] as const;
/** A median round trip above this is not a measurement: 10 s. */
export const MAX_RTT_MS = 10_000;
/** Most connections one point may claim (per report interval). */
export const MAX_POINT_COUNT = 10_000_000;

/** Why latency points are refused (the counter `anypick.signals.latency_rejected`, label `reason`). */
export const LATENCY_REJECT_REASONS = ['absurd-rtt', 'unknown-datacenter', 'wrong-token', 'too-many-networks', 'bad-network', 'bad-format'] as const;
export type LatencyRejectReason = (typeof LATENCY_REJECT_REASONS)[number];

/** Default of the network quota: distinct networks one datacenter may report per minute. */
export const DEFAULT_NETWORKS_PER_MINUTE = 100_000;

/**
 * At most `limit` distinct networks per datacenter per minute: a flood of invented networks
 * from one datacenter's token is refused past it (networks already seen in the minute still
 * update), so it cannot push every other network out of the map. Memory: limit × datacenters keys.
 */
export class NetworkQuota {
  private readonly seen = new Map<string, { since: number; keys: Set<number> }>();

  constructor(readonly limit: number, private readonly windowMs = 60_000) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`network quota must be an integer ≥ 1, got ${limit}`);
  }

  /** True when `datacenter` may report `key` now. */
  admit(datacenter: string, key: number, now: number): boolean {
    let w = this.seen.get(datacenter);
    if (!w || now - w.since >= this.windowMs) {
      w = { since: now, keys: new Set() };
      this.seen.set(datacenter, w);
    }
    if (w.keys.has(key)) return true;
    if (w.keys.size >= this.limit) return false;
    w.keys.add(key);
    return true;
  }
}

/** What the latency check needs besides the metric. */
export interface LatencyContext {
  /** Datacenter members of the loaded delivery (`datacenter/SERVICE/MEMBER`); others are unknown. */
  datacenters: ReadonlySet<string>;
  prefixes?: NetworkPrefixes;
  quota?: NetworkQuota;
  now: number;
}

/** Points accepted into a batch and points refused, by reason. */
export interface LatencyOutcome {
  batch?: LatencyBatch & { keys: number[]; medians: number[]; counts: number[] };
  accepted: number;
  rejected: Partial<Record<LatencyRejectReason, number>>;
  errors: string[];
}

/** A new, empty outcome. */
export function latencyOutcome(): LatencyOutcome {
  return { accepted: 0, rejected: {}, errors: [] };
}

/** Counts `n` refusals for `reason` with its message. */
export function rejectLatency(out: LatencyOutcome, reason: LatencyRejectReason, n: number, why: string): void {
  if (n <= 0) return;
  out.rejected[reason] = (out.rejected[reason] ?? 0) + n;
  const msg = `${CLIENT_RTT_METRIC}: ${why}`;
  if (!out.errors.includes(msg)) out.errors.push(msg);
}

/**
 * The median of an explicit-bounds histogram, interpolated linearly inside its bucket (the first
 * bucket starts at 0, or at `min` when set); in the overflow bucket it lies between the last
 * bound and `max`, and is undefined without `max`. Undefined for an empty histogram.
 */
export function histogramMedian(p: Pick<OtlpHistogramPoint, 'count' | 'bucketCounts' | 'explicitBounds' | 'min' | 'max'>): number | undefined {
  const { bucketCounts: c, explicitBounds: b } = p;
  if (!(p.count > 0)) return undefined;
  const half = p.count / 2;
  let below = 0;
  for (let i = 0; i < c.length; i++) {
    if (c[i] === 0) continue;
    if (below + c[i] >= half) {
      const lo = i === 0 ? (Number.isFinite(p.min) ? Math.min(p.min, b[0] ?? p.min) : 0) : b[i - 1];
      const hi = i < b.length ? b[i] : p.max;
      if (!Number.isFinite(hi)) return undefined;
      return lo + ((half - below) / c[i]) * (Math.max(hi, lo) - lo);
    }
    below += c[i];
  }
  return undefined;
}

function shapeError(p: OtlpHistogramPoint): string | undefined {
  const b = p.explicitBounds;
  if (p.bucketCounts.length !== b.length + 1) return `bucketCounts must have one more entry than explicitBounds (${p.bucketCounts.length} vs ${b.length})`;
  for (let i = 0; i < b.length; i++) if (!Number.isFinite(b[i]) || (i > 0 && b[i] <= b[i - 1])) return 'explicitBounds must be finite and increasing';
  let total = 0;
  for (const n of p.bucketCounts) total += n;
  if (total !== p.count) return `count ${p.count} is not the sum of bucketCounts (${total})`;
  if (p.count > MAX_POINT_COUNT) return `count ${p.count} is above ${MAX_POINT_COUNT}`;
  return undefined;
}

/** Checks one `anypick.client.rtt` metric of the member `id` into `out`. */
export function extractLatency(m: OtlpMetric, id: MemberId, ctx: LatencyContext, out: LatencyOutcome): void {
  const n = m.pointCount;
  if (id.tier !== 'datacenter') return rejectLatency(out, 'wrong-token', n, `sent with a ${id.tier} token; only a datacenter reports its clients' latency`);
  if (!ctx.datacenters.has(memberKey(id))) return rejectLatency(out, 'unknown-datacenter', n, `${memberKey(id)} is not a datacenter of the loaded delivery`);
  if (m.kind !== 'histogram') return rejectLatency(out, 'bad-format', n, `must be a histogram, not ${m.kind}`);
  if (m.unit !== 'ms') return rejectLatency(out, 'bad-format', n, `unit must be 'ms', got '${m.unit}'`);
  if (m.temporality !== TEMPORALITY_DELTA) return rejectLatency(out, 'bad-format', n, 'must have delta temporality (AGGREGATION_TEMPORALITY_DELTA)');
  const prefixes = ctx.prefixes ?? DEFAULT_NETWORK_PREFIXES;
  for (const p of m.histogram) {
    const net = p.attributes[CLIENT_NETWORK_ATTR];
    const key = typeof net === 'string' ? parseNetworkKey(net, prefixes) : undefined;
    if (key === undefined) {
      rejectLatency(out, 'bad-network', 1, `${CLIENT_NETWORK_ATTR} must be a network of /${prefixes.v4} (IPv4) or /${prefixes.v6} (IPv6) or longer without host bits, got ${JSON.stringify(net ?? null)}`);
      continue;
    }
    const shape = shapeError(p);
    if (shape) { rejectLatency(out, 'bad-format', 1, shape); continue; }
    if (p.count === 0) { out.accepted++; continue; }
    const median = histogramMedian(p);
    if (median === undefined || !(median >= 0) || median > MAX_RTT_MS || (p.explicitBounds[0] ?? 0) < 0 || p.min < 0) {
      rejectLatency(out, 'absurd-rtt', 1, `median round trip must be within 0..${MAX_RTT_MS} ms (got ${median === undefined ? 'beyond the last bound' : `${Math.round(median)} ms`})`);
      continue;
    }
    if (ctx.quota && !ctx.quota.admit(id.member, key, ctx.now)) {
      rejectLatency(out, 'too-many-networks', 1, `more than ${ctx.quota.limit} distinct networks from ${id.member} within a minute`);
      continue;
    }
    const batch = (out.batch ??= { datacenter: id.member, keys: [], medians: [], counts: [] });
    batch.keys.push(key);
    batch.medians.push(median);
    batch.counts.push(p.count);
    out.accepted++;
  }
}

/** The `anypick.client.rtt` data points of a request (refused as `wrong-token` when its token is another member's). */
export function countLatencyPoints(metrics: readonly OtlpMetric[]): number {
  let n = 0;
  for (const m of metrics) if (m.name === CLIENT_RTT_METRIC) n += m.pointCount;
  return n;
}
