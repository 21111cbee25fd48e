/**
 * priority-then-weight (seed README, adopted reading): the lowest priority number is preferred;
 * entries of one priority share traffic by weight; the next priority is used when the preferred
 * one is unavailable — below its threshold of ready capacity, or broken by a failed dependency.
 *
 * Pure: member readiness and dynamic factors are resolved by the caller (signals registry,
 * passive health) and randomness is injected, so the strategy tests without sockets or sleeps.
 */

/** When an entry (a Service, the unit of availability) counts as up. */
export type Threshold =
  /** At least `count` ready members. */
  | { kind: 'ready'; count: number }
  /** Ready capacity (sum of ready members' static weights) at least `percent` % of all capacity. */
  | { kind: 'percent'; percent: number };

/** Default threshold: one ready member. */
export const DEFAULT_THRESHOLD: Threshold = { kind: 'ready', count: 1 };

/** One member of a service as the caller sees it now. */
export interface PtwMember {
  name: string;
  /** Static weight, > 0; also the member's capacity for `percent` thresholds. */
  weight: number;
  /** Ready for traffic (signals ready, lease held, not ejected by passive health). */
  ready: boolean;
  /** Dynamic factor 0..1 applied to `weight` (1 for static members). */
  factor: number;
}

/** A service: a set of members with a threshold and dependencies. */
export interface PtwService {
  name: string;
  members: PtwMember[];
  threshold?: Threshold;
  /** Names of services this one needs; one of them down → this one down. */
  requires?: string[];
}

/** A list entry: a service that takes traffic at a priority with a weight. */
export interface PtwEntry extends PtwService {
  priority: number;
  /** Static weight of the entry among entries of the same priority. */
  weight: number;
  /**
   * `weight: dynamic from …`: the entry's share is `weight` × the mean dynamic factor of its
   * ready members × the fraction of its capacity that is ready.
   */
  dynamicWeight?: boolean;
}

/** Why an entry is up or down (closed set, shown by explain/status). */
export type EntryReason = 'up' | 'below-threshold' | 'dependency-down' | 'dependency-unknown' | 'dependency-cycle' | 'no-weight';

/** Status of one entry or dependency. */
export interface ServiceStatus {
  name: string;
  priority?: number;
  up: boolean;
  reason: EntryReason;
  /** Which dependency broke the branch, when reason is dependency-*. */
  brokenBy?: string;
  readyMembers: number;
  members: number;
  readyCapacity: number;
  capacity: number;
  /** Effective weight among entries of the same priority (0 when down). */
  effectiveWeight: number;
}

/** Result of one pick. */
export interface PtwResult {
  /** The chosen entry and member, absent when nothing is available. */
  pick?: { entry: string; member: string; priority: number };
  /** One line saying why. */
  reason: string;
  /** Status of every list entry, in priority order. */
  entries: ServiceStatus[];
  /** Status of every dependency-only service that was evaluated. */
  dependencies: ServiceStatus[];
  /** The priority that serves (the "mode"), absent when nothing is up. */
  servingPriority?: number;
  /** Name of the first up entry at the serving priority (the mode's name). */
  mode?: string;
}

/** Options of one pick. */
export interface PtwOptions {
  /** Uniform random in [0, 1). */
  random: () => number;
  /** Dependency-only services by name (entries may also require other entries). */
  services?: ReadonlyMap<string, PtwService>;
  /** `entry/member` keys not to pick (already tried by a retry); statuses are unaffected. */
  exclude?: ReadonlySet<string>;
}

function usable(m: PtwMember): boolean {
  return m.ready && m.factor > 0 && m.weight > 0;
}

function baseStatus(s: PtwService): ServiceStatus {
  const ready = s.members.filter((m) => m.ready);
  const readyCapacity = ready.reduce((a, m) => a + m.weight, 0);
  const capacity = s.members.reduce((a, m) => a + m.weight, 0);
  const t = s.threshold ?? DEFAULT_THRESHOLD;
  const meets =
    t.kind === 'ready'
      ? ready.length >= Math.max(1, t.count)
      : capacity > 0 && ready.length > 0 && (readyCapacity / capacity) * 100 >= t.percent;
  return {
    name: s.name,
    up: meets,
    reason: meets ? 'up' : 'below-threshold',
    readyMembers: ready.length,
    members: s.members.length,
    readyCapacity,
    capacity,
    effectiveWeight: 0,
  };
}

/**
 * Evaluates every service's own threshold, then propagates dependency failures through the
 * `requires` trees (a cycle, normally rejected at load, marks its members down).
 */
export function evaluateServices(entries: readonly PtwEntry[], services?: ReadonlyMap<string, PtwService>): Map<string, ServiceStatus> {
  const all = new Map<string, PtwService>();
  for (const [k, v] of services ?? []) all.set(k, v);
  for (const e of entries) all.set(e.name, e);
  const out = new Map<string, ServiceStatus>();
  const visiting = new Set<string>();
  const visit = (name: string): ServiceStatus | undefined => {
    const done = out.get(name);
    if (done) return done;
    const svc = all.get(name);
    if (!svc) return undefined;
    if (visiting.has(name)) return { ...baseStatus(svc), up: false, reason: 'dependency-cycle', brokenBy: name };
    visiting.add(name);
    const st = baseStatus(svc);
    if (st.up) {
      for (const dep of svc.requires ?? []) {
        const ds = visit(dep);
        if (!ds) {
          Object.assign(st, { up: false, reason: 'dependency-unknown', brokenBy: dep });
          break;
        }
        if (!ds.up) {
          const reason = ds.reason === 'dependency-cycle' ? 'dependency-cycle' : 'dependency-down';
          Object.assign(st, { up: false, reason, brokenBy: dep });
          break;
        }
      }
    }
    visiting.delete(name);
    out.set(name, st);
    return st;
  };
  for (const name of all.keys()) visit(name);
  return out;
}

function entryWeight(e: PtwEntry, st: ServiceStatus): number {
  if (!st.up) return 0;
  const ready = e.members.filter(usable);
  if (ready.length === 0 || st.capacity === 0) return 0;
  if (!e.dynamicWeight) return e.weight;
  const meanFactor = ready.reduce((a, m) => a + Math.min(1, m.factor), 0) / ready.length;
  return e.weight * meanFactor * (st.readyCapacity / st.capacity);
}

function weighted<T>(items: readonly T[], weightOf: (t: T) => number, random: () => number): T | undefined {
  const total = items.reduce((a, t) => a + weightOf(t), 0);
  if (!(total > 0)) return undefined;
  let r = random() * total;
  for (const t of items) {
    const w = weightOf(t);
    if (w <= 0) continue;
    if (r < w) return t;
    r -= w;
  }
  return items.filter((t) => weightOf(t) > 0).at(-1);
}

/** Entry statuses evaluated once for a given state, so many picks can share them. */
export interface PtwPrepared {
  ordered: PtwEntry[];
  entryStatus: ServiceStatus[];
  dependencies: ServiceStatus[];
  byName: Map<string, ServiceStatus>;
  priorities: number[];
  firstUp?: ServiceStatus;
}

/** Evaluates thresholds, dependencies and effective weights of `entries` (pure). */
export function preparePriorityThenWeight(entries: readonly PtwEntry[], services?: ReadonlyMap<string, PtwService>): PtwPrepared {
  const statuses = evaluateServices(entries, services);
  const ordered = [...entries].sort((a, b) => a.priority - b.priority);
  const entryStatus: ServiceStatus[] = [];
  for (const e of ordered) {
    const st = { ...statuses.get(e.name)!, priority: e.priority };
    st.effectiveWeight = entryWeight(e, st);
    if (st.up && st.effectiveWeight <= 0) Object.assign(st, { up: false, reason: 'no-weight' });
    entryStatus.push(st);
  }
  const dependencies = [...statuses.values()].filter((s) => !entries.some((e) => e.name === s.name));
  const byName = new Map(entryStatus.map((s) => [s.name, s]));
  const priorities = [...new Set(ordered.map((e) => e.priority))];
  return { ordered, entryStatus, dependencies, byName, priorities, firstUp: entryStatus.find((s) => s.up) };
}

/** Picks an entry and a member by priority, then weight. */
export function pickPriorityThenWeight(entries: readonly PtwEntry[], opts: PtwOptions): PtwResult {
  return pickPrepared(preparePriorityThenWeight(entries, opts.services), opts);
}

/** The choice of a pick without its explanation. */
export interface PtwChoice {
  entry: PtwEntry;
  member: PtwMember;
  priority: number;
}

/** `exclude` holds `entry/member` keys; the empty set needs no key built. */
function excluded(exclude: ReadonlySet<string>, e: PtwEntry, m: PtwMember): boolean {
  return exclude.size > 0 && exclude.has(`${e.name}/${m.name}`);
}

/**
 * The decision of pickPrepared alone (no explanation built): the data-plane path, one call per
 * request; pickPrepared is this plus the explanation.
 */
export function choosePrepared(prep: PtwPrepared, random: () => number, exclude: ReadonlySet<string>): PtwChoice | undefined {
  const { ordered, byName, priorities } = prep;
  for (const p of priorities) {
    // Only up entries of this priority with a member not yet tried can take this request.
    const open = ordered.filter((e) => e.priority === p && byName.get(e.name)!.up && e.members.some((m) => usable(m) && !excluded(exclude, e, m)));
    const entry = weighted(open, (e) => byName.get(e.name)!.effectiveWeight, random);
    if (!entry) continue;
    const members = entry.members.filter((m) => usable(m) && !excluded(exclude, entry, m));
    const member = weighted(members, (m) => m.weight * Math.min(1, m.factor), random)!;
    return { entry, member, priority: p };
  }
  return undefined;
}

/** Picks from a prepared state (see preparePriorityThenWeight). */
export function pickPrepared(prep: PtwPrepared, opts: Pick<PtwOptions, 'random' | 'exclude'>): PtwResult {
  const { entryStatus, dependencies, firstUp } = prep;
  const base = { entries: entryStatus, dependencies, servingPriority: firstUp?.priority, mode: firstUp?.name };
  const c = choosePrepared(prep, opts.random, opts.exclude ?? new Set<string>());
  if (c) {
    const p = c.priority;
    const fellBack = p !== firstUp?.priority ? ` (priority ${firstUp?.priority} members exhausted by retries)` : '';
    const skipped = entryStatus.filter((s) => (s.priority ?? 0) < p);
    const why = skipped.length ? `; skipped ${skipped.map((s) => `${s.name}: ${s.reason}${s.brokenBy ? ` (${s.brokenBy})` : ''}`).join(', ')}` : '';
    return {
      ...base,
      pick: { entry: c.entry.name, member: c.member.name, priority: p },
      reason: `priority ${p}: ${c.entry.name}/${c.member.name}${fellBack}${why}`,
      servingPriority: base.servingPriority,
    };
  }
  const down = entryStatus.map((s) => `${s.name}: ${s.reason}${s.brokenBy ? ` (${s.brokenBy})` : ''}`).join(', ');
  return { ...base, reason: `no entry available${down ? `: ${down}` : ''}` };
}

/** One member's share of traffic under the current decision (for a data plane that balances by weights). */
export interface MemberShare {
  entry: string;
  member: string;
  /** Probability that a request goes to this member (0 when it takes no traffic). */
  share: number;
  /** The member itself is ready (it may still take no traffic: other priority, entry down). */
  ready: boolean;
}

/**
 * The probability of every member under `pickPrepared` with no exclusions: the serving
 * priority's up entries by effective weight, then their usable members by weight × factor.
 * Pure; a data plane (HAProxy) given these as server weights balances like the pick.
 */
export function memberShares(prep: PtwPrepared): MemberShare[] {
  const { ordered, byName, firstUp } = prep;
  const serving = ordered.filter((e) => firstUp && e.priority === firstUp.priority && byName.get(e.name)!.up && e.members.some(usable));
  const total = serving.reduce((s, e) => s + byName.get(e.name)!.effectiveWeight, 0);
  const out: MemberShare[] = [];
  for (const e of ordered) {
    const inServing = serving.includes(e) && total > 0;
    const msum = e.members.filter(usable).reduce((s, m) => s + m.weight * Math.min(1, m.factor), 0);
    for (const m of e.members) {
      const share = inServing && usable(m) && msum > 0 ? (byName.get(e.name)!.effectiveWeight / total) * ((m.weight * Math.min(1, m.factor)) / msum) : 0;
      out.push({ entry: e.name, member: m.name, share, ready: m.ready });
    }
  }
  return out;
}
