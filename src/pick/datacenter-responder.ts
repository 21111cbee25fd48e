/**
 * The DNS wiring of a datacenter pick: a DynamicResponder that places the client (ECS, else the
 * querying address) and the members (explicit coordinates, else their block) with the geo
 * database, runs internet-location-then-dynamic-weight and answers A/AAAA with the pick.
 */
import type { ClientInfo, DynamicAnswer, DynamicResponder } from '../dns/dynamic';
import type { ZoneRecord } from '../zone/types';
import { isV4MappedBytes, maskBytes, networkOf, parseAddress, unmapV4 } from '../util/ip';
import type { GeoMatch, GeoNetwork } from '../geo/lookup';
import { landingGroup, pickDatacenter, planDatacenter, spillHash } from './datacenter-strategy';
import { DatacenterSelection } from './datacenter-selection';
import type { SelectionHost } from './datacenter-selection';
import type { DatacenterCandidate, DatacenterPick, DatacenterPickOptions, DatacenterPlan } from './datacenter-strategy';
import { DEFAULT_DATACENTER_TTL } from './datacenter-services';
import type { DcMemberSpec, DcServiceSpec, DcTarget } from './datacenter-services';
import type { Rand } from './random';
import type { GeoPoint, MemberLiveState, MemberStateSource } from './types';
import type { AnswerCount, AnswerCounts } from './answer-counts';
import type { LatencySource } from '../model/latency';
import { coarseNow } from '../util/coarse-clock';
import { networkKeyOf, networkKeyOfBytes, networkKeyText } from '../util/network-key';
import { explorationHash, pickByLatency, planLatency } from './latency-strategy';
import type { TrafficCounts } from './traffic-counts';
import type { ClientRegion } from './datacenter-selection';

/** What the responder needs of a geo database (GeoDatabase fits). */
export interface GeoSource {
  lookup(ip: string): GeoMatch;
  /** The same network and facts for 4 or 16 address bytes, without making strings (GeoDatabase has it). */
  lookupBytes?(address: Uint8Array): GeoNetwork;
  /** Changes when the database is reloaded. */
  readonly generation: number;
}

/** What a responder uses besides its spec. */
export interface ResponderDeps {
  geo?: GeoSource;
  state?: MemberStateSource;
  rand?: Rand;
  /** Counts answers per member (the dashboard's shares and `anypick.dns.answers`). */
  counts?: AnswerCounts;
  /** Measured client latency (measured-latency-then-dynamic-weight). */
  latency?: LatencySource;
  /** Clock for latency freshness and the exploration period (default a coarse Date.now). */
  now?: () => number;
  /** Counts answers per member and client region (the dashboard's traffic map). */
  traffic?: TrafficCounts;
}

/** The subnet a sticky decision hashes when the query has no ECS: /24 for IPv4, /56 for IPv6. */
export const STICKY_PREFIX = { 4: 24, 6: 56 } as const;

/** Longest TTL of an answer that relies on a member not heard from since start (during the grace). */
export const GRACE_TTL_MAX = 10;

/** Bound of the per-responder caches (plans, records). */
const CACHE_LIMIT = 65536;
/** Bound of the per-address geo lookups (querying addresses, and ECS for sticky picks and explain). */
const GEO_CACHE_LIMIT = 4096;

/** Where a member's location came from. */
export type LocationSource = 'explicit' | 'geo' | 'none';

/** A member placed on the globe. */
export interface PlacedMember {
  spec: DcMemberSpec;
  location?: GeoPoint;
  locationSource: LocationSource;
  /** The geo network its block matched, when located by the database. */
  geoNetwork?: string;
}

/** Everything one decision depended on (what `anypick explain` prints). */
export interface DatacenterDecision {
  qtype: string;
  /** The address the client was placed by, its origin and the subnet stickiness hashes. */
  client: { address: string; source: 'ecs' | 'query'; subnet: string; geo?: GeoMatch };
  members: PlacedMember[];
  pick: DatacenterPick<DcTarget>;
  records: ZoneRecord[];
  /** ECS scope prefix for the reply (docs/datacenter-pick.md). */
  scopePrefix: number;
  /** measured-latency-then-dynamic-weight: what decided, the client network and its measurements. */
  latency?: { decidedBy: 'latency' | 'location'; network?: string; explored: boolean; why?: string; estimates: Array<{ datacenter: string; rttMs: number; samples: number; ageMs: number }> };
}

/** Places members: explicit coordinates first, else a geo lookup of their first block. */
export function placeMembers(members: DcMemberSpec[], geo: GeoSource | undefined): PlacedMember[] {
  return members.map((spec) => {
    if (spec.location) return { spec, location: spec.location, locationSource: 'explicit' };
    const t = spec.targets[0];
    const m = t && geo ? geo.lookup(t.address) : undefined;
    if (m?.location) return { spec, location: m.location, locationSource: 'geo', geoNetwork: m.network };
    return { spec, locationSource: 'none' };
  });
}

function inside(address: string, network: string): boolean {
  try {
    const [net, len] = network.split('/');
    const a = parseAddress(address);
    const n = parseAddress(net);
    return a.length === n.length && maskBytes(a, Number(len)).equals(maskBytes(n, Number(len)));
  } catch {
    return false;
  }
}

/** Where a client was placed (see DatacenterResponder.locate). */
interface Located {
  /** '' on the query path when the ECS bytes placed the client (made by withSubnet when needed). */
  address: string;
  useEcs: boolean;
  /** ECS source prefix 0: no client information. */
  noClient: boolean;
  /** An IPv4-mapped IPv6 address in an ECS option of FAMILY 2 (placed as IPv4). */
  v4in6: boolean;
  geo?: GeoNetwork;
  /** The subnet stickiness hashes and its length, in the placed family's terms. */
  subnet: string;
  subnetLen: number;
}

/** RFC 4291 §2.5.5.2: ::ffff:a.b.c.d (bytes of an ECS option, zero-padded past their end). */
function isMappedText(address: string): boolean {
  try {
    const b = parseAddress(address);
    return b.length === 16 && isV4MappedBytes(b);
  } catch {
    return false;
  }
}

/** A network's latency decision, cached: its plan, landing group and ECS scope. */
interface LatencyChoice {
  plan: DatacenterPlan<DcTarget>;
  landing: number;
  selection?: DatacenterSelection;
  scope?: number;
}

/** A datacenter pick answering its `listen` name. */
export class DatacenterResponder implements DynamicResponder {
  readonly name: string;
  private placed?: PlacedMember[];
  /** Answer records by type, address and TTL: the DNS writer caches encodings per record object. */
  private readonly recordCache = new Map<string, ZoneRecord>();
  private readonly geoCache = new Map<string, GeoMatch>();
  private readonly subnets = new Map<number, Map<string, { subnet: string; subnetLen: number }>>();
  private readonly plans = { A: new Map<string, DatacenterPlan<DcTarget>>(), AAAA: new Map<string, DatacenterPlan<DcTarget>>() };
  /** Per target: its answer record by the member's reported address ('' for none). */
  private readonly targetRecords = new WeakMap<DcTarget, Map<string, ZoneRecord>>();
  private readonly hosts: { A?: SelectionHost; AAAA?: SelectionHost } = {};
  /** Selections per plan and ECS scope (not sticky): shared by every client they fit. */
  private readonly selections = new WeakMap<DatacenterPlan<DcTarget>, Map<number, DatacenterSelection>>();
  private readonly pad4 = new Uint8Array(4);
  /** What locate returns on the query path (see there). */
  private readonly queryLoc: Located = { address: '', useEcs: false, noClient: false, v4in6: false, geo: undefined, subnet: '', subnetLen: 0 };
  private readonly pad16 = new Uint8Array(16);
  private planStateVersion = -1;
  private planGeoGeneration = -1;
  private placedGeneration = -1;
  /** Latency plans per query type and network key (-1: location decides), for one latency version and minute. */
  private readonly latencyPlans = { A: new Map<number, LatencyChoice | null>(), AAAA: new Map<number, LatencyChoice | null>() };
  private latencyMade = '';

  constructor(
    readonly spec: DcServiceSpec,
    private readonly deps: ResponderDeps = {},
  ) {
    this.name = spec.name;
  }

  /** Members with their locations, recomputed when the geo database was reloaded. */
  members(): PlacedMember[] {
    const gen = this.deps.geo?.generation ?? 0;
    if (!this.placed || gen !== this.placedGeneration) {
      this.placed = placeMembers(this.spec.members, this.deps.geo);
      this.placedGeneration = gen;
    }
    return this.placed;
  }

  /**
   * Live state of a member. The state source answers undefined while it is starting (one lease
   * after start): the member is then judged from static configuration, so a restarted node never
   * answers empty; after that a member that holds no lease is absent.
   */
  private live(name: string): MemberLiveState | undefined {
    return this.deps.state?.get('datacenter', this.spec.service, name);
  }

  /** The candidates for a query type (members with a target of its family). */
  private candidates(qtype: 'A' | 'AAAA'): DatacenterCandidate<DcTarget>[] {
    const family = qtype === 'A' ? 4 : 6;
    const cands: DatacenterCandidate<DcTarget>[] = [];
    for (const p of this.members()) {
      const targets = p.spec.targets.filter((t) => t.family === family);
      if (targets.length === 0) continue;
      cands.push({ name: p.spec.name, staticWeight: p.spec.weight, dynamic: p.spec.dynamic, location: p.location, live: this.live(p.spec.name), targets });
    }
    return cands;
  }

  /** Geo lookups per address, kept for one database generation (bounded). */
  private lookup(address: string): GeoMatch | undefined {
    const geo = this.deps.geo;
    if (!geo) return undefined;
    let m = this.geoCache.get(address);
    if (!m) {
      if (this.geoCache.size >= GEO_CACHE_LIMIT) this.geoCache.clear();
      m = geo.lookup(address);
      this.geoCache.set(address, m);
    }
    return m;
  }

  /** An ECS address (ceil(source / 8) bytes) padded to 4 or 16 and looked up as bytes; undefined when the source cannot. */
  private lookupEcs(family: 1 | 2, bytes: Uint8Array): GeoNetwork | undefined {
    const geo = this.deps.geo;
    if (!geo?.lookupBytes) return undefined;
    const full = family === 1 ? this.pad4 : this.pad16;
    // Byte loops: fill/set/subarray are runtime calls or a view per query.
    const n = Math.min(bytes.length, full.length);
    for (let i = 0; i < n; i++) full[i] = bytes[i];
    for (let i = n; i < full.length; i++) full[i] = 0;
    return geo.lookupBytes(full);
  }

  /**
   * Where the client is. RFC 7871 §7.1.2: an ECS SOURCE PREFIX-LENGTH of 0 asks for an answer
   * independent of the client: location unknown, scope 0, and stickiness hashes ::/0.
   */
  private locate(client: ClientInfo, needSubnet: boolean): Located {
    this.syncVersions();
    return this.place(client, needSubnet);
  }

  /** Cached lookups and plans hold for one geo database generation and member state version. */
  private syncVersions(): void {
    const stateVersion = this.deps.state?.version ?? 0;
    const geoGeneration = this.deps.geo?.generation ?? 0;
    if (stateVersion !== this.planStateVersion || geoGeneration !== this.planGeoGeneration) {
      this.plans.A.clear();
      this.plans.AAAA.clear();
      this.geoCache.clear();
      this.planStateVersion = stateVersion;
      this.planGeoGeneration = geoGeneration;
    }
  }

  private place(client: ClientInfo, needSubnet: boolean): Located {
    const ecs = client.ecs;
    const noClient = ecs !== undefined && ecs.sourcePrefix === 0;
    const useEcs = ecs !== undefined && !noClient;
    // An IPv4-mapped address in a FAMILY 2 option is placed as IPv4; its scope goes back to IPv6 bits.
    const v4in6 = useEcs && ecs.family === 2 && (ecs.bytes ? isV4MappedBytes(ecs.bytes) : isMappedText(ecs.address));
    if (!needSubnet) {
      // The query path: an ECS address is looked up from its bytes when the database can, and
      // its text is left unmade ('': withSubnet makes it when a spill-over needs the subnet).
      // One object reused per query (select keeps nothing of it; withSubnet copies): no allocation.
      const loc = this.queryLoc;
      loc.useEcs = useEcs;
      loc.noClient = noClient;
      loc.v4in6 = v4in6;
      loc.subnet = '';
      loc.subnetLen = 0;
      const byBytes = noClient ? undefined : useEcs && ecs.bytes ? this.lookupEcs(ecs.family, ecs.bytes) : undefined;
      loc.address = byBytes || useEcs ? '' : client.address;
      if (useEcs && !byBytes) loc.address = ecs.address;
      loc.geo = noClient ? undefined : byBytes ?? this.lookup(loc.address);
      return loc;
    }
    const address = useEcs ? ecs.address : client.address;
    const geo = noClient ? undefined : this.lookup(address);
    const { subnet, subnetLen } = this.subnetOf(address, noClient ? 0 : useEcs ? ecs.sourcePrefix : -1);
    return { address, useEcs, noClient, v4in6, geo, subnet, subnetLen };
  }

  /**
   * The subnet stickiness hashes: `address` cut to `prefix` (the ECS source prefix), or with
   * `prefix` -1 to the default sticky prefix of its family. Cached per prefix and address (bounded).
   */
  private subnetOf(address: string, prefix: number): { subnet: string; subnetLen: number } {
    let byAddress = this.subnets.get(prefix);
    if (!byAddress) {
      byAddress = new Map();
      this.subnets.set(prefix, byAddress);
    }
    let hit = byAddress.get(address);
    if (!hit) {
      if (byAddress.size >= CACHE_LIMIT) byAddress.clear();
      const raw = parseAddress(address);
      const bytes = unmapV4(raw);
      // A prefix of an IPv4-mapped address counts IPv6 bits: 96 of them are the mapping.
      const own = prefix >= 0 && bytes.length < raw.length ? Math.max(0, prefix - 96) : prefix;
      const subnetLen = own < 0 ? STICKY_PREFIX[bytes.length === 4 ? 4 : 6] : Math.min(own, bytes.length * 8);
      hit = { subnet: networkOf(bytes, subnetLen), subnetLen };
      byAddress.set(address, hit);
    }
    return hit;
  }

  /**
   * The plan for a query type and client network, cached while the geo database generation,
   * the member state version and the network stay the same: per query only the draw remains.
   */
  private plan(qtype: 'A' | 'AAAA', geo: GeoNetwork | undefined): DatacenterPlan<DcTarget> {
    const plans = this.plans[qtype];
    const key = geo?.location ? geo.network : '-';
    let plan = plans.get(key);
    if (!plan) {
      if (plans.size >= CACHE_LIMIT) plans.clear();
      plan = planDatacenter(this.candidates(qtype), geo?.location, this.spec.options);
      plans.set(key, plan);
    }
    return plan;
  }

  /**
   * ECS scope: the decision depended on the matched geo network (all of it places the client
   * alike) and, when sticky, on the hashed subnet too; without a geo database on nothing else.
   */
  private scope(loc: Located, hashed: boolean): number {
    if (loc.noClient) return 0;
    const g = loc.geo ? loc.geo.prefixLength : 0;
    const v4 = hashed ? Math.max(g, loc.subnetLen) : g;
    // RFC 7871 §6: SCOPE PREFIX-LENGTH counts bits of the option's FAMILY. A mapped address was
    // placed in IPv4 terms; in IPv6 bits its network is ::ffff:0:0/96 plus those bits. Without
    // a database (and not hashed) nothing depended on the client: 0.
    if (loc.v4in6 && (loc.geo || hashed)) return 96 + v4;
    return v4;
  }

  /** `loc` with the subnet stickiness and spill-over hash (computed on demand: most queries need neither). */
  private withSubnet(loc: Located, client: ClientInfo): Located {
    if (loc.subnet !== '') return loc;
    const ecs = client.ecs;
    const address = loc.address !== '' ? loc.address : loc.useEcs && ecs ? ecs.address : client.address;
    const { subnet, subnetLen } = this.subnetOf(address, loc.noClient ? 0 : loc.useEcs && ecs ? ecs.sourcePrefix : -1);
    return { ...loc, address, subnet, subnetLen };
  }

  private records(qtype: string, picked: DatacenterCandidate<DcTarget>[]): ZoneRecord[] {
    const records: ZoneRecord[] = [];
    const graceTtl = this.graceTtl();
    for (const m of picked) {
      const reported = m.live?.address;
      // During the start-up grace an answer relying on a member not heard from since start
      // (judged statically, or restored from a snapshot) must not outlive the grace in caches.
      const cap = graceTtl >= 0 && this.deps.state?.provisional?.('datacenter', this.spec.service, m.name) ? graceTtl : -1;
      for (const t of m.targets) records.push(this.targetRecord(qtype, t, reported, cap));
    }
    return records;
  }

  /**
   * The TTL cap of answers relying on provisional members: the grace left in whole seconds, at
   * most GRACE_TTL_MAX; -1 once the grace is over (or without a state source).
   */
  private graceTtl(): number {
    const left = this.deps.state?.graceRemainingMs?.() ?? 0;
    return left > 0 ? Math.min(GRACE_TTL_MAX, Math.floor(left / 1000)) : -1;
  }

  /** The record a target answers with: its address, or the member's reported one inside its block; TTL at most `cap` (≥ 0). */
  private targetRecord(qtype: string, t: DcTarget, reported: string | undefined, cap = -1): ZoneRecord {
    let byReported = this.targetRecords.get(t);
    if (!byReported) {
      byReported = new Map();
      this.targetRecords.set(t, byReported);
    }
    const k = cap < 0 ? reported ?? '' : `${reported ?? ''}|${cap}`;
    let r = byReported.get(k);
    if (!r) {
      if (byReported.size >= CACHE_LIMIT) byReported.clear();
      const data = reported && inside(reported, t.network) ? reported : t.address;
      const ttl = this.spec.ttl ?? t.ttl ?? DEFAULT_DATACENTER_TTL;
      r = this.record(qtype, data, cap >= 0 ? Math.min(ttl, cap) : ttl, t);
      byReported.set(k, r);
    }
    return r;
  }

  /** Decides for one query with the full explanation; undefined for other types than A/AAAA or without targets of that family. */
  decide(qtype: string, client: ClientInfo): DatacenterDecision | undefined {
    if (qtype !== 'A' && qtype !== 'AAAA') return undefined;
    const cands = this.candidates(qtype);
    if (cands.length === 0) return undefined;
    const loc = this.locate(client, true);
    const opts: DatacenterPickOptions = { ...this.spec.options };
    if (this.spec.sticky) opts.sticky = { key: loc.subnet };
    const geo = loc.noClient ? undefined : this.lookup(loc.address);
    const clientInfo = { address: loc.address, source: loc.useEcs ? 'ecs' as const : 'query' as const, subnet: loc.subnet, geo };
    let latency: DatacenterDecision['latency'];
    if (this.spec.latency) {
      const now = (this.deps.now ?? Date.now)();
      const net = this.networkKey(client);
      const network = net ? networkKeyText(net.key, this.spec.latency.prefixes) : undefined;
      const est = net ? this.deps.latency?.get(net.key) : undefined;
      const estimates = (est ?? []).map((e) => ({ datacenter: e.datacenter, rttMs: e.rttMs, samples: e.samples, ageMs: now - e.lastSeen }));
      const byLatency = net && network && !this.spec.sticky ? pickByLatency(cands, est, opts, this.spec.latency, now, explorationHash(network, now), spillHash(network), this.deps.rand ?? Math.random) : undefined;
      if (byLatency && net && network) {
        const { decidedBy, explored, ...pick } = byLatency;
        const records = this.records(qtype, pick.picked);
        return { qtype, client: clientInfo, members: this.members(), pick, records, scopePrefix: net.scope, latency: { decidedBy, network, explored, estimates } };
      }
      const why = !net ? 'no client network (ECS source prefix 0 or shorter than the latency network)' : this.spec.sticky ? 'sticky: client-subnet keeps the location pick' : !this.deps.latency ? 'no latency map (offline)' : `too few fresh measurements for ${network} (need ${this.spec.latency.minSamples} samples within ${Math.round(this.spec.latency.maxAgeMs / 1000)} s from at least two ready datacenters)`;
      latency = { decidedBy: 'location', ...(network ? { network } : {}), explored: false, why, estimates };
    }
    const pick = pickDatacenter(cands, loc.geo?.location, opts, this.deps.rand ?? Math.random, spillHash(loc.subnet));
    const records = this.records(qtype, pick.picked);
    const scopePrefix = this.scope(loc, this.spec.sticky || pick.spill !== undefined);
    return { qtype, client: clientInfo, members: this.members(), pick, records, scopePrefix, ...(latency ? { latency } : {}) };
  }

  /** DynamicResponder: the picked members' addresses and the ECS scope (cached plan, one draw). */
  answer(qtype: string, client: ClientInfo): DynamicAnswer | undefined {
    return this.select(qtype, client)?.draw();
  }

  /**
   * The key of the client's network in the latency map: the ECS network (when its source prefix
   * covers the map's prefix), else the querying address's network; undefined when ECS says
   * nothing (source 0) or is too coarse. `v6` tells the scope's family.
   */
  private networkKey(client: ClientInfo): { key: number; scope: number } | undefined {
    const p = this.spec.latency!.prefixes;
    const ecs = client.ecs;
    if (ecs) {
      if (ecs.sourcePrefix === 0) return undefined;
      const bytes = ecs.bytes;
      if (ecs.family === 1) return ecs.sourcePrefix < p.v4 ? undefined : { key: bytes ? networkKeyOfBytes(bytes, false, p) : networkKeyOf(ecs.address, p), scope: p.v4 };
      const mapped = bytes ? isV4MappedBytes(bytes) : isMappedText(ecs.address);
      const want = mapped ? 96 + p.v4 : p.v6;
      if (ecs.sourcePrefix < want) return undefined;
      return { key: bytes ? networkKeyOfBytes(bytes, true, p) : networkKeyOf(ecs.address, p), scope: want };
    }
    try {
      const key = networkKeyOf(client.address, p);
      return { key, scope: key >= 2 ** 32 ? p.v6 : p.v4 };
    } catch {
      return undefined;
    }
  }

  /** The latency decision of a network, cached per latency version and minute; null when location decides. */
  private latencyChoice(qtype: 'A' | 'AAAA', key: number): LatencyChoice | null {
    const src = this.deps.latency!;
    const now = (this.deps.now ?? coarseNow)();
    const made = `${src.version}|${this.planStateVersion}|${this.planGeoGeneration}|${Math.floor(now / 60_000)}`;
    if (made !== this.latencyMade) {
      this.latencyPlans.A.clear();
      this.latencyPlans.AAAA.clear();
      this.latencyMade = made;
    }
    const cache = this.latencyPlans[qtype];
    let c = cache.get(key);
    if (c === undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      const network = networkKeyText(key, this.spec.latency!.prefixes);
      const lp = planLatency(this.candidates(qtype), src.get(key), this.spec.options, this.spec.latency!, now, explorationHash(network, now), spillHash(network));
      c = lp ? { plan: lp.plan, landing: lp.landing } : null;
      cache.set(key, c);
    }
    return c;
  }

  /** DynamicResponder: the client's decision context (placement, plan and scope), drawing per query. */
  select(qtype: string, client: ClientInfo): DatacenterSelection | undefined {
    if (qtype !== 'A' && qtype !== 'AAAA') return undefined;
    if (this.spec.latency && this.deps.latency && !this.spec.sticky) {
      this.syncVersions();
      const net = this.networkKey(client);
      const c = net && this.latencyChoice(qtype, net.key);
      if (c) {
        if (c.scope !== net.scope || !c.selection) {
          // Located once per network and scope (the selection is cached): the traffic map's region.
          const geo = this.deps.traffic ? this.locate(client, false).geo : undefined;
          const region = geo?.location ? { code: geo.country ?? '', location: geo.location } : undefined;
          c.selection = this.newSelection(qtype, c.plan, net.scope, c.landing, undefined, region);
          c.scope = net.scope;
        }
        return c.selection;
      }
    }
    let loc = this.locate(client, this.spec.sticky);
    const plan = this.plan(qtype, loc.geo);
    if (plan.candidates.length === 0) return undefined;
    // Capacity spill-over: when a group is partly spilled, the client subnet's hash picks the group.
    if (plan.spills) loc = this.withSubnet(loc, client);
    const landing = plan.spills ? landingGroup(plan, spillHash(loc.subnet)) : -1;
    const scope = this.scope(loc, this.spec.sticky || plan.spills);
    // The plan is keyed by the located network, so every client sharing a selection has its region.
    const region = this.deps.traffic && loc.geo?.location ? { code: loc.geo.country ?? '', location: loc.geo.location } : undefined;
    if (this.spec.sticky) return this.newSelection(qtype, plan, scope, landing, loc.subnet, region);
    // Without stickiness every client of a plan with the same scope (and landing group) shares one selection.
    let byScope = this.selections.get(plan);
    if (!byScope) {
      byScope = new Map();
      this.selections.set(plan, byScope);
    }
    const key = (landing + 1) * 256 + scope;
    let sel = byScope.get(key);
    if (!sel) {
      sel = this.newSelection(qtype, plan, scope, landing, undefined, region);
      byScope.set(key, sel);
    }
    return sel;
  }

  private newSelection(qtype: 'A' | 'AAAA', plan: DatacenterPlan<DcTarget>, scope: number, landing: number, stickyKey?: string, region?: ClientRegion): DatacenterSelection {
    const made = { stateVersion: this.planStateVersion, geoGeneration: this.planGeoGeneration, graceTtl: this.graceTtl(), latency: this.latencyStamp() };
    return new DatacenterSelection(this.host(qtype), plan, scope, this.deps.rand ?? Math.random, made, stickyKey, landing, region);
  }

  /** What selections of a query type use of this responder. */
  private host(qtype: 'A' | 'AAAA'): SelectionHost {
    let h = this.hosts[qtype];
    if (!h) {
      h = {
        records: (picked) => this.records(qtype, picked),
        counters: (members, region) => this.counters(members, region),
        stateVersion: () => this.deps.state?.version ?? 0,
        geoGeneration: () => this.deps.geo?.generation ?? 0,
        graceTtl: () => this.graceTtl(),
        latencyStamp: () => this.latencyStamp(),
      };
      this.hosts[qtype] = h;
    }
    return h;
  }

  /** What latency decisions were made with: the map's version and the minute (0 without a latency strategy). */
  private latencyStamp(): number {
    if (!this.spec.latency || !this.deps.latency) return 0;
    return this.deps.latency.version * 1e6 + Math.floor((this.deps.now ?? coarseNow)() / 60_000) % 1e6;
  }

  private counters(members: readonly string[], region?: ClientRegion): AnswerCount[] {
    const { counts, traffic } = this.deps;
    const out = counts ? members.map((m) => counts.counter(this.spec.service, m)) : [];
    if (traffic) for (const m of members) out.push(traffic.counter(m, region?.code ?? '', region?.location));
    return out;
  }

  private record(type: string, data: string, ttl: number, t: DcTarget): ZoneRecord {
    const key = `${type}|${data}|${ttl}`;
    let r = this.recordCache.get(key);
    if (!r) {
      // Reported addresses come and go; bound the cache.
      if (this.recordCache.size >= CACHE_LIMIT) this.recordCache.clear();
      r = { name: this.name, type, class: 'IN', ttl, data, pos: t.pos };
      this.recordCache.set(key, r);
    }
    return r;
  }

}

/** Builds the responders of every datacenter pick in `specs`. */
export function datacenterResponders(specs: DcServiceSpec[], deps: ResponderDeps = {}): DatacenterResponder[] {
  return specs.map((s) => new DatacenterResponder(s, deps));
}

/** A warning about a member that cannot be placed on the globe (for `anypick check`). */
export interface LocationWarning {
  pos: DcMemberSpec['pos'];
  message: string;
}

/**
 * Warns for every datacenter-pick member with neither explicit coordinates nor a block the geo
 * database places: such a member is ranked after all located ones.
 */
export function memberLocationWarnings(specs: DcServiceSpec[], geo: GeoSource | undefined): LocationWarning[] {
  const out: LocationWarning[] = [];
  for (const s of specs) {
    for (const p of placeMembers(s.members, geo)) {
      if (p.locationSource !== 'none') continue;
      const why = p.spec.targets.length === 0 ? 'no block' : geo ? `its block ${p.spec.targets[0].network} is not in the geo database` : 'no geo database to place its block';
      out.push({ pos: p.spec.pos, message: `member '${p.spec.name}' of ${s.service} has no location (${why}): it is ranked after every located member; add 'location LAT,LON'` });
    }
  }
  return out;
}
