/**
 * The dynamic weight factor: a pure function of what a member reported and the time, in the
 * spirit of gRPC weighted round robin (weight from reported utilization) and Envoy's slow start
 * and outlier detection. The formula is documented in docs/signals.md:
 *
 *   factor = readiness × headroom × ramp × (1 − penalty)
 *
 * readiness 0 → factor 0 (out); headroom = max(floor, 1 − utilization), or 1 when the last
 * utilization is older than `utilizationMaxAgeMs`; ramp = max(minRamp, elapsed / window)^(1/aggression)
 * for a member that came back (Envoy slow_start); penalty = the last error ratio, decaying by
 * half every `errorHalfLifeMs`, capped at `errorMaxPenalty` (errors alone never eject).
 */

/** Tunables of the factor; defaults in DEFAULT_WEIGHT_PARAMS. */
export interface WeightParams {
  /** Lowest headroom a fully utilized member keeps, 0..1. */
  utilizationFloor: number;
  /** Utilization older than this is ignored (headroom 1). */
  utilizationMaxAgeMs: number;
  /** Slow-start window; 0 disables the ramp. */
  slowStartWindowMs: number;
  /** Envoy's aggression: 1 = linear, > 1 = faster early ramp. */
  slowStartAggression: number;
  /** Ramp value at the start of the window, 0..1 (Envoy min_weight_percent / 100). */
  slowStartMinFactor: number;
  /** Half-life of the error penalty. */
  errorHalfLifeMs: number;
  /** Largest penalty errors can impose, 0..1. */
  errorMaxPenalty: number;
}

/** Defaults: floor 0.05, utilization stale after 10 s, 10 s linear ramp from 0.1, error half-life 10 s, max penalty 0.9. */
export const DEFAULT_WEIGHT_PARAMS: WeightParams = {
  utilizationFloor: 0.05,
  utilizationMaxAgeMs: 10_000,
  slowStartWindowMs: 10_000,
  slowStartAggression: 1,
  slowStartMinFactor: 0.1,
  errorHalfLifeMs: 10_000,
  errorMaxPenalty: 0.9,
};

/** A timestamped reported value (ms since epoch). */
export interface Sample {
  value: number;
  at: number;
}

/** What the factor is computed from. */
export interface WeightInputs {
  /** Ready fraction 0..1 (ready capacity / total capacity). */
  readiness: number;
  utilization?: Sample;
  /** When the member came back (start of its slow-start ramp); undefined = no ramp. */
  rampFrom?: number;
  /** Last error ratio 0..1 and when it was reported. */
  errors?: Sample;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** Headroom from utilization: max(floor, 1 − u), or 1 when unknown or stale. */
export function headroom(u: Sample | undefined, now: number, p: WeightParams): number {
  if (!u || now - u.at > p.utilizationMaxAgeMs) return 1;
  return Math.max(p.utilizationFloor, 1 - clamp01(u.value));
}

/** Slow-start ramp (Envoy): max(min, elapsed/window)^(1/aggression); 1 after the window. */
export function ramp(rampFrom: number | undefined, now: number, p: WeightParams): number {
  if (rampFrom === undefined || p.slowStartWindowMs <= 0) return 1;
  const elapsed = now - rampFrom;
  if (elapsed >= p.slowStartWindowMs) return 1;
  const t = Math.max(p.slowStartMinFactor, Math.max(0, elapsed) / p.slowStartWindowMs);
  return Math.pow(t, 1 / Math.max(p.slowStartAggression, 1e-9));
}

/** Error penalty decayed to `now`: ratio × 2^(−age/halfLife), capped at errorMaxPenalty. */
export function penalty(e: Sample | undefined, now: number, p: WeightParams): number {
  if (!e) return 0;
  const age = Math.max(0, now - e.at);
  const decayed = clamp01(e.value) * Math.pow(2, -age / Math.max(p.errorHalfLifeMs, 1));
  return Math.min(p.errorMaxPenalty, decayed);
}

/** The factor in [0, 1], rounded to 0.01 so that tiny drifts do not count as changes. */
export function weightFactor(inp: WeightInputs, now: number, p: WeightParams = DEFAULT_WEIGHT_PARAMS): number {
  const r = clamp01(inp.readiness);
  if (r === 0) return 0;
  const f = r * headroom(inp.utilization, now, p) * ramp(inp.rampFrom, now, p) * (1 - penalty(inp.errors, now, p));
  return Math.round(f * 100) / 100;
}

/** True while the factor can still change with time alone (ramp running or penalty decaying). */
export function isTimeVarying(inp: WeightInputs, now: number, p: WeightParams = DEFAULT_WEIGHT_PARAMS): boolean {
  if (inp.rampFrom !== undefined && now - inp.rampFrom < p.slowStartWindowMs) return true;
  if (inp.errors && penalty(inp.errors, now, p) >= 0.005) return true;
  return false;
}

/** Merges a new error ratio into the decayed old one: the worse of the two wins. */
export function mergeErrors(old: Sample | undefined, ratio: number, now: number, p: WeightParams): Sample {
  const decayedOld = old ? clamp01(old.value) * Math.pow(2, -Math.max(0, now - old.at) / Math.max(p.errorHalfLifeMs, 1)) : 0;
  return { value: Math.max(decayedOld, clamp01(ratio)), at: now };
}
