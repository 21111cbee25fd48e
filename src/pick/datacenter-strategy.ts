/**
 * internet-location-then-dynamic-weight: the datacenter pick (docs/datacenter-pick.md).
 * Pure: the client location, member states and randomness are inputs.
 */
import { distanceKm } from './geo-distance';
import type { Rand } from './random';
import { rendezvousScore, unitHash } from './rendezvous';
import type { GeoPoint, MemberLiveState } from './types';

/** The strategy's name in delivery files. */
export const DATACENTER_STRATEGY = 'internet-location-then-dynamic-weight';

/** What to answer when no member is ready with weight above 0. */
export type WhenNoneReady = 'all' | 'nearest' | 'none';

/** Options of the strategy (all optional; see DEFAULT_DATACENTER_OPTIONS). */
export interface DatacenterPickOptions {
  /** Members within this many km of the nearest ready member form the nearest group. */
  toleranceKm?: number;
  /** How many members an answer names (default 1). */
  answers?: number;
  /** Last resort when nothing is ready: every member, the nearest member(s), or nothing. */
  whenNoneReady?: WhenNoneReady;
  /** Choose inside a group by weighted rendezvous hashing of `key` instead of at random. */
  sticky?: { key: string };
  /**
   * Capacity spill-over (default true): a group whose ready capacity is below its static
   * capacity keeps that share of its clients and spills the rest, by client hash, to the next
   * group. Off: a group keeps all its clients while it has any ready capacity.
   */
  spillOver?: boolean;
}

/** Defaults of {@link DatacenterPickOptions}. */
export const DEFAULT_DATACENTER_OPTIONS = { toleranceKm: 500, answers: 1, whenNoneReady: 'all', spillOver: true } as const;

/** One member the strategy may pick; `T` is whatever the caller answers with. */
export interface DatacenterCandidate<T = unknown> {
  name: string;
  /** Static weight from the delivery file (≥ 0). */
  staticWeight: number;
  /** `dyn`: the weight is scaled by the live factor; `static`: it is not. */
  dynamic: boolean;
  /** Where the member is; members without one are ranked after all located members. */
  location?: GeoPoint;
  /** Live state from signals; none means "judged from static config": ready, factor 1. */
  live?: MemberLiveState;
  targets: T[];
}

/** How one member was judged, for `anypick explain`. */
export interface RankedMember {
  name: string;
  /** Distance from the client, km; absent when the client or the member has no location. */
  distanceKm?: number;
  hasLocation: boolean;
  ready: boolean;
  /** Why a member is not ready: its presence lease ran out, or it reported not ready. */
  notReady?: 'absent' | 'not-ready';
  staticWeight: number;
  /** Multiplier applied to the static weight (1 for static members or without live state). */
  factor: number;
  /** staticWeight × factor. */
  weight: number;
  /**
   * 1-based group in spill order. Without spill-over, absent for members that are not ready;
   * with it, every located member has one (not-ready members reduce their group's capacity).
   */
  group?: number;
  picked: boolean;
  /** Rendezvous score when sticky (lower wins). */
  stickyScore?: number;
  /** measured-latency-then-dynamic-weight: the client network's measured RTT to this member, ms (fresh and with enough samples). */
  rttMs?: number;
  /** Connections measured (also when too few or too old to count). */
  rttSamples?: number;
}

/** The decision. */
export interface DatacenterPick<T = unknown> {
  picked: DatacenterCandidate<T>[];
  /** Group the first pick came from; absent for a last-resort or empty answer. */
  group?: number;
  /** Set when the answer is the last resort. */
  lastResort?: WhenNoneReady;
  /** Capacity spill-over of this client's groups, when any group is below its static capacity. */
  spill?: SpillExplanation;
  reason: string;
  /** Every member: groups in spill order, then members that are not ready. */
  ranking: RankedMember[];
}

/** How capacity spill-over placed a client (for `anypick explain`). */
export interface SpillExplanation {
  /** Ready capacity per group (1-based index − 1), 0..1: Σ factor × weight / Σ static weight. */
  capacity: number[];
  /** The client's hash in [0, 1) that chose among groups. */
  hash: number;
  /** 1-based group the client landed in. */
  landed: number;
  /** Share of the client's own (nearest) group's clients that spill to later groups, 0..1. */
  spilled: number;
}

/** Thrown for invalid options or candidates; callers validate at load time. */
export class DatacenterPickError extends TypeError {
  override readonly name = 'DatacenterPickError';
  readonly code = 'E_DATACENTER_PICK';
}

/** Validates options and fills defaults; throws DatacenterPickError on a bad value. */
export function resolveDatacenterOptions(o: DatacenterPickOptions = {}): Required<Omit<DatacenterPickOptions, 'sticky'>> & Pick<DatacenterPickOptions, 'sticky'> {
  const r = { ...DEFAULT_DATACENTER_OPTIONS, ...o };
  if (typeof r.spillOver !== 'boolean') throw new DatacenterPickError(`spillOver must be true or false, got ${o.spillOver}`);
  if (!(Number.isFinite(r.toleranceKm) && r.toleranceKm >= 0)) throw new DatacenterPickError(`toleranceKm must be a number ≥ 0, got ${o.toleranceKm}`);
  if (!(Number.isInteger(r.answers) && r.answers >= 1)) throw new DatacenterPickError(`answers must be an integer ≥ 1, got ${o.answers}`);
  if (!['all', 'nearest', 'none'].includes(r.whenNoneReady)) throw new DatacenterPickError(`whenNoneReady must be all, nearest or none, got ${o.whenNoneReady}`);
  return r;
}

const km = (d: number | undefined): string => (d === undefined ? '?' : `${Math.round(d)} km`);

function judge<T>(c: DatacenterCandidate<T>, client: GeoPoint | undefined): RankedMember {
  if (!(Number.isFinite(c.staticWeight) && c.staticWeight >= 0)) throw new DatacenterPickError(`member ${c.name}: weight must be ≥ 0, got ${c.staticWeight}`);
  const live = c.live;
  const ready = live ? live.present && live.ready : true;
  const rawFactor = c.dynamic && live ? live.factor : 1;
  const factor = Number.isFinite(rawFactor) && rawFactor > 0 ? rawFactor : 0;
  const m: RankedMember = { name: c.name, hasLocation: c.location !== undefined, ready, staticWeight: c.staticWeight, factor, weight: c.staticWeight * factor, picked: false };
  if (live && !ready) m.notReady = live.present ? 'not-ready' : 'absent';
  if (client && c.location) m.distanceKm = distanceKm(client, c.location);
  return m;
}

/** Orders members nearest first (unknown distance last), keeping config order on ties. */
function byDistance(a: [RankedMember, number], b: [RankedMember, number]): number {
  const da = a[0].distanceKm ?? Infinity;
  const db = b[0].distanceKm ?? Infinity;
  return da === db ? a[1] - b[1] : da - db;
}

/**
 * Forms the spill-ordered groups (indexes into the candidates): of ready members, or with
 * `all` of every member (spill-over: a not-ready member still anchors and sizes its group).
 */
function formGroups(ranked: RankedMember[], client: GeoPoint | undefined, toleranceKm: number, all: boolean): number[][] {
  const ready = ranked.map((m, i) => [m, i] as [RankedMember, number]).filter(([m]) => all || m.ready);
  if (!client) return ready.length ? [ready.map(([, i]) => i)] : [];
  const located = ready.filter(([m]) => m.hasLocation).sort(byDistance);
  const groups: number[][] = [];
  for (let k = 0; k < located.length; ) {
    const limit = (located[k][0].distanceKm as number) + toleranceKm;
    const g: number[] = [];
    while (k < located.length && (located[k][0].distanceKm as number) <= limit) g.push(located[k++][1]);
    groups.push(g);
  }
  const unlocated = ready.filter(([m]) => !m.hasLocation).map(([, i]) => i);
  if (unlocated.length) groups.push(unlocated);
  return groups;
}

/** Picks one index of `pool` by weight: at random, or by best rendezvous score when sticky. */
function chooseOne(pool: number[], ranked: RankedMember[], rand: Rand, scores: Map<number, number> | undefined): number {
  if (scores) {
    let best = pool[0];
    for (const i of pool) if ((scores.get(i) as number) < (scores.get(best) as number)) best = i;
    return best;
  }
  return weightedChoice(pool, ranked, rand);
}

/**
 * One index of `pool` at random, each with probability weight / total weight of the pool
 * (members of a pool have weight > 0). No allocation: the per-query draw of a cached plan.
 */
export function weightedChoice(pool: readonly number[], ranked: readonly RankedMember[], rand: Rand): number {
  let total = 0;
  for (let k = 0; k < pool.length; k++) total += ranked[pool[k]].weight;
  let x = rand() * total;
  for (let k = 0; k < pool.length; k++) {
    x -= ranked[pool[k]].weight;
    if (x < 0) return pool[k];
  }
  return pool[pool.length - 1];
}

/** The first group with ready capacity (its members of weight > 0), or undefined when none has any. */
export function firstPool(plan: DatacenterPlan): number[] | undefined {
  for (const p of plan.pools) if (p.length > 0) return p;
  return undefined;
}

/** The stable client hash capacity spill-over places a client subnet by, in (0, 1). */
export function spillHash(subnet: string): number {
  return unitHash(subnet, 'spill-over');
}

/**
 * The group (index into `plan.pools`) a client with hash `u` ∈ [0, 1) lands in: group g keeps
 * the clients with u < capacity_g and spills the others, u rescaled to [0, 1), to the next
 * group; the last group with capacity keeps every client left. Stable: a growing capacity
 * only adds clients (those with the next-lowest hashes). -1 when no group has capacity.
 */
export function landingGroup(plan: DatacenterPlan, u: number): number {
  const { capacity, lastWithCapacity } = plan;
  for (let g = 0; g < lastWithCapacity; g++) {
    const c = capacity[g];
    if (c <= 0) continue;
    if (u < c) return g;
    u = (u - c) / (1 - c);
  }
  return lastWithCapacity;
}

/**
 * The part of a decision that does not depend on the draw: the judged members and their
 * groups. Plans can be cached while the client's geo network, the member states and the
 * options stay the same; {@link drawDatacenter} then only draws.
 */
export interface DatacenterPlan<T = unknown> {
  candidates: readonly DatacenterCandidate<T>[];
  client?: GeoPoint;
  options: ReturnType<typeof resolveDatacenterOptions>;
  /** One per candidate, same order. Not mutated by draws. */
  ranked: RankedMember[];
  /** Candidate indexes per group, in spill order. */
  groups: number[][];
  /** The groups' ready members with weight > 0. */
  pools: number[][];
  /**
   * Ready capacity per group, 0..1: Σ effective weight of its ready members / Σ static weight
   * of all its members (1 without spill-over for a group with a pool, else 0).
   */
  capacity: number[];
  /** Index of the last group with capacity (-1: none). */
  lastWithCapacity: number;
  /** True when the landing group depends on the client hash (a group before the last with capacity is partly spilled). */
  spills: boolean;
  /** Every candidate, nearest first (unlocated last): the last-resort order. */
  byDistance: number[];
}

/** Judges the candidates and forms the groups (steps 1 and 2 of docs/datacenter-pick.md). */
export function planDatacenter<T>(candidates: readonly DatacenterCandidate<T>[], client: GeoPoint | undefined, options: DatacenterPickOptions, groupBy?: (ranked: RankedMember[]) => number[][]): DatacenterPlan<T> {
  const o = resolveDatacenterOptions(options);
  const ranked = candidates.map((c) => judge(c, client));
  // measured-latency-then-dynamic-weight groups by measured RTT instead (src/pick/latency-strategy.ts).
  const groups = groupBy ? groupBy(ranked) : formGroups(ranked, client, o.toleranceKm, o.spillOver);
  groups.forEach((g, n) => g.forEach((i) => (ranked[i].group = n + 1)));
  const pools = groups.map((g) => g.filter((i) => ranked[i].ready && ranked[i].weight > 0));
  const capacity = groups.map((g, n) => {
    if (pools[n].length === 0) return 0;
    if (!o.spillOver) return 1;
    let ready = 0;
    let statics = 0;
    for (const i of g) {
      statics += ranked[i].staticWeight;
      if (ranked[i].ready) ready += ranked[i].weight;
    }
    return statics > 0 ? Math.min(1, ready / statics) : 0;
  });
  let lastWithCapacity = -1;
  for (let n = 0; n < pools.length; n++) if (pools[n].length > 0) lastWithCapacity = n;
  const spills = capacity.some((c, n) => n < lastWithCapacity && c > 0 && c < 1);
  const byDist = ranked.map((m, i) => [m, i] as [RankedMember, number]).sort(byDistance).map(([, i]) => i);
  return { candidates, client, options: o, ranked, groups, pools, capacity, lastWithCapacity, spills, byDistance: byDist };
}

/**
 * Draws the answer of a plan (steps 3 and 4): candidate indexes in answer order, starting in
 * group `landing` (from {@link landingGroup}; default the first group with capacity), then the
 * other groups in spill order. `stickyKey` replaces the random draw by weighted rendezvous
 * hashing of that key.
 */
export function drawDatacenter(plan: DatacenterPlan, rand: Rand, stickyKey?: string, landing = -1): number[] {
  const { answers, whenNoneReady } = plan.options;
  const picked: number[] = [];
  const pools = plan.pools;
  // Fast path: one answer from a first non-empty pool of one member.
  for (let k = landing >= 0 ? -1 : 0; k < pools.length && picked.length < answers; k++) {
    const n = k < 0 ? landing : k;
    if (k >= 0 && n === landing) continue;
    if (pools[n].length === 0) continue;
    if (answers === 1 && pools[n].length === 1) return [pools[n][0]];
    if (answers === 1 && stickyKey === undefined) return [weightedChoice(pools[n], plan.ranked, rand)];
    const pool = [...pools[n]];
    const scores = stickyKey === undefined ? undefined : new Map(pool.map((i) => [i, rendezvousScore(stickyKey, plan.ranked[i].name, plan.ranked[i].weight)]));
    while (pool.length && picked.length < answers) {
      const i = chooseOne(pool, plan.ranked, rand, scores);
      pool.splice(pool.indexOf(i), 1);
      picked.push(i);
    }
  }
  if (picked.length) return picked;
  if (whenNoneReady === 'none') return [];
  if (whenNoneReady === 'nearest') return plan.byDistance.slice(0, answers);
  return plan.byDistance;
}

/**
 * Picks `answers` members for a client: the nearest group of ready members by great-circle
 * distance, then by weight (static × live factor) inside it; further groups only when the
 * nearer ones have no ready capacity (or to fill `answers`); a last resort when nothing is
 * ready. `client` undefined means the client's location is unknown. Returns the pick with the
 * full ranking and the reason (for `anypick explain`).
 */
export function pickDatacenter<T>(candidates: readonly DatacenterCandidate<T>[], client: GeoPoint | undefined, options: DatacenterPickOptions, rand: Rand, clientHash?: number): DatacenterPick<T> {
  const plan = planDatacenter(candidates, client, options);
  if (!plan.spills) return explainPlan(plan, drawDatacenter(plan, rand, options.sticky?.key));
  // Capacity spill-over: a stable client hash (callers pass one of the client subnet) picks the group.
  const hash = clientHash ?? rand();
  const landing = landingGroup(plan, hash);
  return explainPlan(plan, drawDatacenter(plan, rand, options.sticky?.key, landing), { hash, landing });
}

/** Describes a drawn plan: ranking (copies), reason, group, last resort, spill-over. */
export function explainPlan<T>(plan: DatacenterPlan<T>, pickedIdx: number[], spill?: { hash: number; landing: number }, groupReason?: (landing: number) => string): DatacenterPick<T> {
  const { candidates, client, groups, pools } = plan;
  const o = plan.options;
  const ranked = plan.ranked.map((m) => ({ ...m }));
  if (o.sticky) for (const m of ranked) m.stickyScore = rendezvousScore(o.sticky.key, m.name, m.weight);
  const order = ranked.map((m, i) => [m, i] as [RankedMember, number]);
  const rankingOrder = [...groups.flat(), ...order.filter(([m]) => !m.ready && m.group === undefined).sort(byDistance).map(([, i]) => i)];
  const finish = (idx: number[], reason: string, extra: Partial<DatacenterPick<T>>): DatacenterPick<T> => {
    for (const i of idx) ranked[i].picked = true;
    return { picked: idx.map((i) => candidates[i]), reason, ranking: rankingOrder.map((i) => ranked[i]), ...extra };
  };

  const firstPool = pools.findIndex((p) => p.length > 0);
  if (firstPool < 0) {
    const why = candidates.length === 0 ? 'no members' : 'no member is ready with weight > 0';
    if (o.whenNoneReady === 'none') return finish([], `${why}: last resort 'none' (empty answer)`, { lastResort: 'none' });
    if (o.whenNoneReady === 'nearest') {
      return finish(pickedIdx, `${why}: last resort 'nearest' (${pickedIdx.map((i) => `${ranked[i].name} at ${km(ranked[i].distanceKm)}`).join(', ') || 'none'})`, { lastResort: 'nearest' });
    }
    return finish(pickedIdx, `${why}: last resort 'all' (every member, nearest first)`, { lastResort: 'all' });
  }

  const parts: string[] = [];
  const landing = spill ? spill.landing : firstPool;
  const g1 = landing + 1;
  const skipped = groups.slice(0, landing).map((_, n) => n + 1).filter((n) => !spill || plan.capacity[n - 1] <= 0);
  const how = o.sticky ? `weighted rendezvous hash of '${o.sticky.key}'` : 'weight';
  if (groupReason) parts.push(groupReason(landing));
  else if (!client) parts.push(`client location unknown: all ${groups.flat().length} ready members form one group`);
  else {
    const anchor = ranked[groups[g1 - 1][0]];
    const where = anchor.hasLocation ? `nearest ${anchor.name} at ${km(anchor.distanceKm)}, tolerance ${o.toleranceKm} km` : 'members without location';
    if (spill) {
      const first = 0; // the client's own region: the group of its nearest member
      const names = (n: number): string => groups[n].filter((i) => ranked[i].ready && ranked[i].weight > 0).map((i) => ranked[i].name).join(', ');
      const next = plan.capacity.findIndex((c, n) => n > first && c > 0);
      const spilled = 1 - plan.capacity[first];
      parts.push(`group ${first + 1} has ${pct(plan.capacity[first])} of its static capacity ready: ${pct(spilled)} of this region spilled to ${next >= 0 ? `group ${next + 1} (${names(next)})` : 'later groups'}`);
      parts.push(landing === first ? `this client (hash ${spill.hash.toFixed(3)}) stays in group ${g1} (${where})` : `this client (hash ${spill.hash.toFixed(3)}) spilled to group ${g1} (${where})`);
    } else if (skipped.length) parts.push(`group ${skipped.join(', ')} has no ready capacity; spilled to group ${g1} (${where})`);
    else parts.push(`nearest group ${g1} (${where})`);
  }
  const total = groups[g1 - 1].reduce((s, i) => s + ranked[i].weight, 0);
  const first = ranked[pickedIdx[0]];
  parts.push(`picked ${first.name} by ${how} (weight ${round(first.weight)} of ${round(total)} in group ${g1})`);
  if (pickedIdx.length > 1) parts.push(`then ${pickedIdx.slice(1).map((i) => `${ranked[i].name} (group ${ranked[i].group})`).join(', ')} to fill ${o.answers} answers`);
  const extra: Partial<DatacenterPick<T>> = { group: g1 };
  if (spill) {
    extra.spill = { capacity: plan.capacity.map(round), hash: spill.hash, landed: g1, spilled: round(1 - plan.capacity[0]) };
  }
  return finish(pickedIdx, parts.join('; '), extra);
}

function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
