/**
 * measured-latency-then-dynamic-weight (docs/datacenter-pick.md, "Measured latency"): for a
 * client network with enough fresh measurements the datacenters are grouped by measured round
 * trip instead of distance — the fastest and every one within `toleranceMs` of it share the
 * network's clients by dynamic weight, slower groups take what capacity spill-over sends them —
 * and an exploration share of networks goes to the second-fastest group so that it stays
 * measured. Without enough data the decision is internet-location-then-dynamic-weight's.
 * Pure: estimates, time and the client hash are inputs.
 */
import type { LatencyEstimate } from '../model/latency';
import { explainPlan, drawDatacenter, landingGroup, planDatacenter } from './datacenter-strategy';
import type { DatacenterCandidate, DatacenterPick, DatacenterPickOptions, DatacenterPlan, RankedMember } from './datacenter-strategy';
import type { Rand } from './random';
import { unitHash } from './rendezvous';

/** The strategy's name in delivery files. */
export const LATENCY_STRATEGY = 'measured-latency-then-dynamic-weight';

/** How measured latency decides (strategy options `latency-…` and `exploration`). */
export interface LatencyPickOptions {
  /** Datacenters within this many ms of the fastest measured one form the fastest group. */
  toleranceMs: number;
  /** Connections a datacenter needs measured for the network before it counts. */
  minSamples: number;
  /** Measurements older than this do not count, ms. */
  maxAgeMs: number;
  /** Share of networks (by client hash) sent to the second-fastest group, 0..0.5. */
  exploration: number;
  /** Client networks: IPv4 /v4, IPv6 /v6. */
  prefixes: { v4: number; v6: number };
}

/** 5 ms, 10 samples, 10 minutes, 5 %, /24 and /48. */
export const DEFAULT_LATENCY_OPTIONS = Object.freeze({ toleranceMs: 5, minSamples: 10, maxAgeMs: 600_000, exploration: 0.05, prefixes: Object.freeze({ v4: 24, v6: 48 }) });

/** The exploration hash changes every 10 minutes: a different share of networks explores each period. */
export const EXPLORATION_PERIOD_MS = 600_000;

/** The stable hash in (0, 1) that decides whether a network explores in the period of `now`. */
export function explorationHash(network: string, now: number): number {
  return unitHash(`${network}|${Math.floor(now / EXPLORATION_PERIOD_MS)}`, 'exploration');
}

/** A latency plan: the plan grouped by RTT, the group the network lands in, and why. */
export interface LatencyPlan<T> {
  plan: DatacenterPlan<T>;
  /** Index into plan.pools of the group the network's clients go to. */
  landing: number;
  /** True when the network explores (sent to the second-fastest group). */
  explored: boolean;
  reason: string;
}

function usable(e: LatencyEstimate | undefined, o: LatencyPickOptions, now: number): e is LatencyEstimate {
  return e !== undefined && e.samples >= o.minSamples && now - e.lastSeen <= o.maxAgeMs && Number.isFinite(e.rttMs);
}

const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

/**
 * Plans by measured latency, or undefined when location decides: fewer than two ready members
 * with weight > 0 have fresh measurements of at least `minSamples` (one suffices when only one
 * is ready). `exploreHash` ∈ (0, 1) (explorationHash of the network): below `exploration` the
 * network lands in the next group with capacity after its own.
 */
export function planLatency<T>(
  candidates: readonly DatacenterCandidate<T>[],
  estimates: readonly LatencyEstimate[] | undefined,
  options: DatacenterPickOptions,
  lat: LatencyPickOptions,
  now: number,
  exploreHash: number,
  spillHash: number,
): LatencyPlan<T> | undefined {
  if (!estimates || estimates.length === 0) return undefined;
  const byName = new Map<string, LatencyEstimate>();
  for (const e of estimates) byName.set(e.datacenter, e);
  let measured = 0;
  let eligible = 0;
  const groupBy = (ranked: RankedMember[]): number[][] => {
    const fast: Array<[number, number]> = [];
    const rest: number[] = [];
    ranked.forEach((m, i) => {
      const e = byName.get(m.name);
      if (e) m.rttSamples = e.samples;
      const live = m.ready && m.weight > 0;
      if (live) eligible++;
      if (usable(e, lat, now)) {
        m.rttMs = e.rttMs;
        if (live) measured++;
        fast.push([e.rttMs, i]);
      } else rest.push(i);
    });
    fast.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const groups: number[][] = [];
    for (let k = 0; k < fast.length; ) {
      // Anchored on the fastest member not yet grouped, ready or not (a down datacenter still
      // sizes its group's capacity, as in the location pick).
      const limit = fast[k][0] + lat.toleranceMs;
      const g: number[] = [];
      while (k < fast.length && fast[k][0] <= limit) g.push(fast[k++][1]);
      groups.push(g);
    }
    if (rest.length) groups.push(rest);
    return groups;
  };
  const plan = planDatacenter(candidates, undefined, options, groupBy);
  if (measured === 0 || measured < Math.min(2, eligible)) return undefined;
  let landing = plan.spills ? landingGroup(plan, spillHash) : plan.pools.findIndex((p) => p.length > 0);
  if (landing < 0) return undefined;
  let explored = false;
  if (exploreHash < lat.exploration) {
    const next = plan.pools.findIndex((p, n) => n > landing && p.length > 0 && p.some((i) => plan.ranked[i].rttMs !== undefined));
    if (next >= 0) {
      landing = next;
      explored = true;
    }
  }
  const list = plan.ranked.filter((m) => m.rttMs !== undefined).sort((a, b) => a.rttMs! - b.rttMs!).map((m) => `${m.name} ${ms(m.rttMs!)}`);
  const g = plan.groups[landing];
  const anchor = plan.ranked[g[0]];
  let reason = `measured latency decided (${list.join(', ')}; at least ${lat.minSamples} samples within ${Math.round(lat.maxAgeMs / 1000)} s)`;
  if (explored) reason += `; this network explores (hash ${exploreHash.toFixed(3)} < ${lat.exploration}): group ${landing + 1} (${anchor.name} at ${anchor.rttMs === undefined ? '?' : ms(anchor.rttMs)})`;
  else reason += `; fastest group ${landing + 1} (${anchor.name} at ${anchor.rttMs === undefined ? '?' : ms(anchor.rttMs)}, tolerance ${lat.toleranceMs} ms)`;
  return { plan, landing, explored, reason };
}

/** The decision with its explanation (for `anypick explain`); undefined when location decides. */
export function pickByLatency<T>(
  candidates: readonly DatacenterCandidate<T>[],
  estimates: readonly LatencyEstimate[] | undefined,
  options: DatacenterPickOptions,
  lat: LatencyPickOptions,
  now: number,
  exploreHash: number,
  spillHash: number,
  rand: Rand,
): (DatacenterPick<T> & { decidedBy: 'latency'; explored: boolean }) | undefined {
  const lp = planLatency(candidates, estimates, options, lat, now, exploreHash, spillHash);
  if (!lp) return undefined;
  const idx = drawDatacenter(lp.plan, rand, options.sticky?.key, lp.landing);
  const pick = explainPlan(lp.plan, idx, { hash: spillHash, landing: lp.landing }, () => lp.reason);
  if (!lp.plan.spills) delete pick.spill;
  return { ...pick, decidedBy: 'latency', explored: lp.explored };
}
