import { isIpAddress } from '../util/ip';
import { addressInBlock } from './block';
import { CLIENT_RTT_METRIC, countLatencyPoints, extractLatency, latencyOutcome } from './latency-extract';
import type { LatencyContext, LatencyOutcome } from './latency-extract';
import { TIERS, memberKey } from './signal';
import type { MemberId, Signal, Tier } from './signal';
import type { TokenBinding } from './tokens';
import type { AttrValue, Attributes, OtlpLogsRequest, OtlpMetricsRequest } from './wire/types';

/** Resource attribute names carrying a member's identity (docs/signals.md). */
export const ATTR = {
  tier: 'anypick.tier',
  service: 'anypick.service',
  member: 'anypick.member',
  address: 'anypick.address',
  port: 'anypick.port',
} as const;

/** Name of the utilization gauge. */
export const UTILIZATION_METRIC = 'anypick.utilization';

/** A resource that names a member its token is not bound to (HTTP 403, nothing applied). */
export class ForeignMemberError extends Error {
  override readonly name = 'ForeignMemberError';
  readonly code = 'E_FOREIGN_MEMBER';
  /** `anypick.client.rtt` points in the refused request (counted as latency `wrong-token`). */
  latencyPoints = 0;
}

/** Signals read from one request, plus what was rejected and why. */
export interface Extracted {
  signals: Signal[];
  accepted: number;
  rejected: number;
  /** Distinct reasons for rejections, joined into `partialSuccess.errorMessage`. */
  errors: string[];
  /** Records rejected for their own time: older than maxAgeMs, or ahead by more than maxSkewMs. */
  stale: number;
  future: number;
  /** Client latency points (metrics requests only). */
  latency?: LatencyOutcome;
}

/** Context of one request: who the token belongs to, configured blocks, receive time. */
export interface ExtractContext {
  binding: TokenBinding;
  blocks: ReadonlyMap<string, readonly string[]>;
  now: number;
  /** Records whose own time is older than this (ms) are stale and rejected; default 1 lease. */
  maxAgeMs: number;
  /** Records whose own time is ahead of `now` by more than this (ms) are rejected; default 1000. */
  maxSkewMs?: number;
  /** Known datacenters, prefixes and quota for `anypick.client.rtt`; without it every point is `unknown-datacenter`. */
  latency?: Omit<LatencyContext, 'now'>;
}

/** Default allowed clock skew of a member ahead of the node (a record time in the future). */
export const DEFAULT_MAX_SKEW_MS = 1000;

function num(v: AttrValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Identity of a resource, checked against the token; a string error rejects its records. */
function identity(res: Attributes, ctx: ExtractContext): { id: MemberId; address?: string; port?: number } | string {
  const tier = res[ATTR.tier];
  const service = res[ATTR.service];
  const member = res[ATTR.member];
  if (typeof tier !== 'string' || typeof service !== 'string' || typeof member !== 'string' || !service || !member) {
    return `resource lacks string attributes ${ATTR.tier}, ${ATTR.service}, ${ATTR.member}`;
  }
  if (!(TIERS as readonly string[]).includes(tier)) return `${ATTR.tier} '${tier}' is not one of ${TIERS.join(', ')}`;
  const id: MemberId = { tier: tier as Tier, service, member };
  const b = ctx.binding;
  if (b.tier !== id.tier || b.service !== id.service || b.member !== id.member) {
    throw new ForeignMemberError(`token is bound to ${memberKey(b)}, not ${memberKey(id)}`);
  }
  // OTEL_RESOURCE_ATTRIBUTES can only carry strings, so a decimal string is a port too.
  const rawPort = res[ATTR.port];
  const port = typeof rawPort === 'string' && /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : rawPort;
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535)) return `${ATTR.port} must be an integer 1..65535 (a number or a decimal string)`;
  const address = res[ATTR.address];
  if (address === undefined) return port === undefined ? { id } : `${ATTR.port} needs ${ATTR.address}`;
  if (typeof address !== 'string') return `${ATTR.address} is not an IP address`;
  // A zone id (fe80::1%eth0) means nothing to a resolver on another host: not an answer.
  if (address.includes('%')) return `${ATTR.address} ${address} has a zone id; give a global address`;
  if (isIpAddress(address) === 0) return `${ATTR.address} is not an IP address`;
  const blocks = ctx.blocks.get(memberKey(id)) ?? (b.block !== undefined ? [b.block] : []);
  if (blocks.length > 0 && !blocks.some((bl) => addressInBlock(address, bl))) {
    return `${ATTR.address} ${address} is outside the block ${blocks.join(', ')} of ${memberKey(id)}`;
  }
  return port === undefined ? { id, address } : { id, address, port };
}

/** 'stale' or 'future' when a record's own time is outside the window, else undefined. */
function outOfWindow(timeMs: number, ctx: ExtractContext): 'stale' | 'future' | undefined {
  if (!(timeMs > 0)) return undefined;
  if (ctx.now - timeMs > ctx.maxAgeMs) return 'stale';
  if (timeMs - ctx.now > (ctx.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) return 'future';
  return undefined;
}

function windowReason(what: string, w: 'stale' | 'future', ctx: ExtractContext): string {
  return w === 'stale'
    ? `stale ${what} (record time older than ${ctx.maxAgeMs} ms; is the member's clock slow?)`
    : `future ${what} (record time more than ${ctx.maxSkewMs ?? DEFAULT_MAX_SKEW_MS} ms ahead; is the member's clock fast?)`;
}

/**
 * Reads presence, readiness and errors events out of a logs request. Records with another
 * event name are ordinary logs: accepted and ignored. Throws ForeignMemberError.
 */
export function extractLogs(req: OtlpLogsRequest, ctx: ExtractContext): Extracted {
  const out: Extracted = { signals: [], accepted: 0, rejected: 0, errors: [], stale: 0, future: 0 };
  const reject = (n: number, why: string): void => {
    out.rejected += n;
    if (!out.errors.includes(why)) out.errors.push(why);
  };
  for (const rl of req.resourceLogs) {
    const who = identity(rl.resource, ctx);
    if (typeof who === 'string') { reject(rl.logRecords.length, who); continue; }
    for (const rec of rl.logRecords) {
      const a = rec.attributes;
      const name = rec.eventName || (typeof a['event.name'] === 'string' ? (a['event.name'] as string) : '');
      const base = { id: who.id, at: ctx.now };
      if (name !== 'presence' && name !== 'readiness' && name !== 'errors') { out.accepted++; continue; }
      const sentAt = rec.timeUnixMs || rec.observedTimeUnixMs;
      const w = outOfWindow(sentAt, ctx);
      if (w) { out[w]++; reject(1, windowReason(`${name} event`, w, ctx)); continue; }
      if (name === 'presence') {
        const state = a.state ?? 'up';
        if (state !== 'up' && state !== 'leaving') { reject(1, `presence state must be 'up' or 'leaving'`); continue; }
        const where = who.address === undefined ? {} : who.port === undefined ? { address: who.address } : { address: who.address, port: who.port };
        out.signals.push({ ...base, kind: 'presence', state, ...where, ...(sentAt > 0 ? { sentAt } : {}) });
      } else if (name === 'readiness') {
        let ready: number | undefined;
        if (typeof a.ready === 'boolean') ready = a.ready ? 1 : 0;
        else if (num(a.ready) !== undefined) ready = num(a.ready);
        else if (num(a['capacity.ready']) !== undefined && num(a['capacity.total']) !== undefined) {
          const r = num(a['capacity.ready'])!;
          const t = num(a['capacity.total'])!;
          ready = t > 0 && r >= 0 && r <= t ? r / t : undefined;
        }
        if (ready === undefined || ready < 0 || ready > 1) { reject(1, 'readiness needs ready (0..1 or bool) or capacity.ready ≤ capacity.total'); continue; }
        out.signals.push({ ...base, kind: 'readiness', ready });
      } else {
        let ratio: number | undefined = num(a.ratio);
        const count = num(a.count);
        const total = num(a.total);
        if (count !== undefined && total !== undefined && count > total) { reject(1, 'errors count is larger than total'); continue; }
        if (ratio === undefined && count !== undefined && total !== undefined && total > 0 && count >= 0) ratio = count / total;
        if (ratio === undefined && count === 0) ratio = 0;
        if (ratio === undefined || ratio < 0 || ratio > 1) { reject(1, 'errors needs ratio (0..1) or count and total > 0'); continue; }
        out.signals.push({ ...base, kind: 'errors', ratio });
      }
      out.accepted++;
    }
  }
  return out;
}

/** Reads the `anypick.utilization` gauge out of a metrics request; other metrics are ignored. */
export function extractMetrics(req: OtlpMetricsRequest, ctx: ExtractContext): Extracted {
  const out: Extracted = { signals: [], accepted: 0, rejected: 0, errors: [], stale: 0, future: 0 };
  const reject = (n: number, why: string): void => {
    out.rejected += n;
    if (!out.errors.includes(why)) out.errors.push(why);
  };
  const lat = (out.latency = latencyOutcome());
  const latCtx: LatencyContext = { datacenters: new Set(), ...ctx.latency, now: ctx.now };
  for (const rm of req.resourceMetrics) {
    let who: ReturnType<typeof identity>;
    try {
      who = identity(rm.resource, ctx);
    } catch (err) {
      if (err instanceof ForeignMemberError) err.latencyPoints = req.resourceMetrics.reduce((n, r) => n + countLatencyPoints(r.metrics), 0);
      throw err;
    }
    const points = rm.metrics.reduce((n, m) => n + m.pointCount, 0);
    if (typeof who === 'string') { reject(points, who); continue; }
    for (const m of rm.metrics) {
      if (m.name === CLIENT_RTT_METRIC) {
        const before = { accepted: lat.accepted, rejected: Object.values(lat.rejected).reduce((a, b) => a + b, 0), errors: lat.errors.length };
        // Points outside the time window are refused like every other record.
        const inWindow = m.histogram.filter((p) => {
          const w = outOfWindow(p.timeUnixMs, ctx);
          if (w) { out[w]++; reject(1, windowReason(`${CLIENT_RTT_METRIC} point`, w, ctx)); }
          return !w;
        });
        extractLatency({ ...m, histogram: inWindow, pointCount: m.pointCount - (m.histogram.length - inWindow.length) }, who.id, latCtx, lat);
        out.accepted += lat.accepted - before.accepted;
        const refused = Object.values(lat.rejected).reduce((a, b) => a + b, 0) - before.rejected;
        out.rejected += refused;
        for (const e of lat.errors.slice(before.errors)) if (!out.errors.includes(e)) out.errors.push(e);
        continue;
      }
      if (m.name !== UTILIZATION_METRIC) { out.accepted += m.pointCount; continue; }
      if (m.kind !== 'gauge') { reject(m.pointCount, `${UTILIZATION_METRIC} must be a gauge`); continue; }
      let latest: { value: number; t: number } | undefined;
      for (const p of m.points) {
        if (!Number.isFinite(p.value) || p.value < 0 || p.value > 1) { reject(1, `${UTILIZATION_METRIC} must be within 0..1`); continue; }
        const w = outOfWindow(p.timeUnixMs, ctx);
        if (w) { out[w]++; reject(1, windowReason(`${UTILIZATION_METRIC} point`, w, ctx)); continue; }
        out.accepted++;
        if (!latest || p.timeUnixMs >= latest.t) latest = { value: p.value, t: p.timeUnixMs };
      }
      if (latest) out.signals.push({ kind: 'utilization', id: who.id, at: ctx.now, value: latest.value });
    }
  }
  return out;
}
