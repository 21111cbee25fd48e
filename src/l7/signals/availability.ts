/**
 * What a tier tells the tier above about itself (cascading signals): ready or not, how much
 * capacity is ready, how busy it is, and the mode it serves in. Pure.
 *
 * Mode preference travels in the readiness fraction, which the receiving registry multiplies
 * into the member's dynamic weight (docs/signals.md): a tier serving its preferred mode (the
 * first priority of its list) reports its ready capacity fraction as is; a tier serving a
 * fallback mode reports it × `fallbackFactor`, so the tier above sends it proportionally less
 * traffic while tiers in the preferred mode are ready — and still all of it when none is.
 */
import type { PtwEntry, PtwResult } from '../../pick/priority-then-weight';
import type { DatacenterCandidate } from '../../pick/datacenter-strategy';

/** Aggregated availability of one tier. */
export interface Availability {
  ready: boolean;
  /** Reported readiness 0..1 (ready capacity fraction × mode factor); 0 when not ready. */
  readiness: number;
  /** Ready capacity (sum of static weights of ready members serving), and all capacity. */
  readyCapacity: number;
  capacity: number;
  /** Busiest-resource estimate 0..1: 1 − mean dynamic factor of serving members; undefined when unknown. */
  utilization?: number;
  /** Name of the entry (service) the tier serves with, e.g. `service-with-gpu`. */
  mode?: string;
  /** True when `mode` is the tier's first priority. */
  preferredMode: boolean;
}

/** Default readiness multiplier of a tier serving a fallback mode. */
export const DEFAULT_FALLBACK_FACTOR = 0.25;

/**
 * Availability of a service pick from one decision over its list. `entries` (the pick's inputs)
 * give the utilization: 1 − the mean dynamic factor of the ready members of the serving entries.
 */
export function servicePickAvailability(r: PtwResult, fallbackFactor = DEFAULT_FALLBACK_FACTOR, entries?: readonly PtwEntry[]): Availability {
  const capacity = r.entries.reduce((a, e) => a + e.capacity, 0);
  if (r.servingPriority === undefined) return { ready: false, readiness: 0, readyCapacity: 0, capacity, preferredMode: false };
  const serving = r.entries.filter((e) => e.up && e.priority === r.servingPriority);
  const servingCap = serving.reduce((a, e) => a + e.capacity, 0);
  const readyCapacity = serving.reduce((a, e) => a + e.readyCapacity, 0);
  const preferredMode = r.servingPriority === r.entries[0]?.priority;
  const fraction = servingCap > 0 ? readyCapacity / servingCap : 0;
  const servingNames = new Set(serving.map((e) => e.name));
  const ready = (entries ?? []).filter((e) => servingNames.has(e.name)).flatMap((e) => e.members.filter((m) => m.ready));
  const utilization = ready.length ? round(1 - ready.reduce((a, m) => a + Math.min(1, Math.max(0, m.factor)), 0) / ready.length) : undefined;
  return {
    ready: true,
    readiness: round(fraction * (preferredMode ? 1 : fallbackFactor)),
    readyCapacity,
    capacity,
    utilization,
    mode: r.mode,
    preferredMode,
  };
}

/** Availability of a cluster pick from its candidates' live state. */
export function clusterPickAvailability(cands: readonly DatacenterCandidate[]): Availability {
  let capacity = 0;
  let readyCapacity = 0;
  let weighted = 0;
  for (const c of cands) {
    capacity += c.staticWeight;
    const ready = c.live ? c.live.present && c.live.ready : true;
    if (!ready) continue;
    readyCapacity += c.staticWeight;
    weighted += c.staticWeight * (c.dynamic && c.live ? c.live.factor : 1);
  }
  const ready = readyCapacity > 0 && weighted > 0;
  return {
    ready,
    readiness: ready && capacity > 0 ? round(Math.max(0.01, weighted / capacity)) : 0,
    readyCapacity,
    capacity,
    utilization: ready ? round(1 - weighted / readyCapacity) : undefined,
    preferredMode: ready,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
