/**
 * The DNS wiring of a datacenter pick: a DynamicResponder that places the client (ECS, else the
 * querying address) and the members (explicit coordinates, else their block) with the geo
 * database, runs internet-location-then-dynamic-weight and answers A/AAAA with the pick.
 */
import type { ClientInfo, DynamicAnswer, DynamicResponder } from '../dns/dynamic';
import type { ZoneRecord } from '../zone/types';
import { maskBytes, networkOf, parseAddress, unmapV4 } from '../geo/address';
import type { GeoMatch } from '../geo/lookup';
import { pickDatacenter } from './datacenter-strategy';
import type { DatacenterCandidate, DatacenterPick, DatacenterPickOptions } from './datacenter-strategy';
import { DEFAULT_DATACENTER_TTL } from './datacenter-services';
import type { DcMemberSpec, DcServiceSpec, DcTarget } from './datacenter-services';
import type { Rand } from './random';
import type { GeoPoint, MemberLiveState, MemberStateSource } from './types';

/** What the responder needs of a geo database (GeoDatabase fits). */
export interface GeoSource {
  lookup(ip: string): GeoMatch;
  /** Changes when the database is reloaded. */
  readonly generation: number;
}

/** The subnet a sticky decision hashes when the query has no ECS: /24 for IPv4, /56 for IPv6. */
export const STICKY_PREFIX = { 4: 24, 6: 56 } as const;

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

/** A datacenter pick answering its `listen` name. */
export class DatacenterResponder implements DynamicResponder {
  readonly name: string;
  private placed?: PlacedMember[];
  private placedGeneration = -1;

  constructor(
    readonly spec: DcServiceSpec,
    private readonly deps: { geo?: GeoSource; state?: MemberStateSource; rand?: Rand } = {},
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

  /** Live state of a member; membership members without state are absent once signals run. */
  private live(name: string): MemberLiveState | undefined {
    const state = this.deps.state;
    if (!state) return undefined;
    const s = state.get('datacenter', this.spec.service, name);
    if (!s && this.spec.membership) return { present: false, ready: false, factor: 0 };
    return s;
  }

  /** Decides for one query; undefined for types other than A/AAAA or without targets of that family. */
  decide(qtype: string, client: ClientInfo): DatacenterDecision | undefined {
    if (qtype !== 'A' && qtype !== 'AAAA') return undefined;
    const family = qtype === 'A' ? 4 : 6;
    const placed = this.members();
    const cands: DatacenterCandidate<DcTarget>[] = [];
    for (const p of placed) {
      const targets = p.spec.targets.filter((t) => t.family === family);
      if (targets.length === 0) continue;
      cands.push({ name: p.spec.name, staticWeight: p.spec.weight, dynamic: p.spec.dynamic, location: p.location, live: this.live(p.spec.name), targets });
    }
    if (cands.length === 0) return undefined;

    // RFC 7871 §7.1.2: a SOURCE PREFIX-LENGTH of 0 asks for an answer independent of the client.
    const ecs = client.ecs;
    const useEcs = ecs !== undefined && ecs.sourcePrefix > 0;
    const address = useEcs ? ecs.address : client.address;
    const bytes = unmapV4(parseAddress(address));
    const subnetLen = useEcs ? Math.min(ecs.sourcePrefix, bytes.length * 8) : STICKY_PREFIX[bytes.length === 4 ? 4 : 6];
    const subnet = networkOf(bytes, subnetLen);
    const geo = ecs && !useEcs ? undefined : this.deps.geo?.lookup(address);
    const opts: DatacenterPickOptions = { ...this.spec.options };
    if (this.spec.sticky) opts.sticky = { key: subnet };
    const pick = pickDatacenter(cands, geo?.location, opts, this.deps.rand ?? Math.random);

    // The decision depended on the matched geo network (all of it places the client alike) and,
    // when sticky, on the hashed subnet too; without a geo database on nothing but that.
    let scopePrefix = geo ? geo.prefixLength : 0;
    if (this.spec.sticky) scopePrefix = Math.max(scopePrefix, subnetLen);
    if (ecs && !useEcs) scopePrefix = 0;

    const records: ZoneRecord[] = [];
    for (const m of pick.picked) {
      const reported = m.live?.address;
      for (const t of m.targets) {
        const data = reported && inside(reported, t.network) ? reported : t.address;
        records.push({ name: this.name, type: qtype, class: 'IN', ttl: this.spec.ttl ?? t.ttl ?? DEFAULT_DATACENTER_TTL, data, pos: t.pos });
      }
    }
    return { qtype, client: { address, source: useEcs ? 'ecs' : 'query', subnet, geo }, members: placed, pick, records, scopePrefix };
  }

  /** DynamicResponder: the picked members' addresses and the ECS scope. */
  answer(qtype: string, client: ClientInfo): DynamicAnswer | undefined {
    const d = this.decide(qtype, client);
    return d && { records: d.records, scopePrefix: d.scopePrefix };
  }
}

/** Builds the responders of every datacenter pick in `specs`. */
export function datacenterResponders(specs: DcServiceSpec[], deps: { geo?: GeoSource; state?: MemberStateSource; rand?: Rand } = {}): DatacenterResponder[] {
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
