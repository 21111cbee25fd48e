/**
 * Finds the datacenter picks of a delivery model: top-level services using
 * internet-location-then-dynamic-weight with member lines (seed example 3), and the
 * `datacenter-pick-service` of a delivery whose members come from `membership.…` and are the
 * delivery's datacenter sections (seed example 5's top tier).
 */
import type { DeliveryModel, Member, Service } from '../config/model';
import { declaringService, dnsServices } from '../config/walk';
import type { SourcePos } from '../util/source-error';
import { DATACENTER_STRATEGY } from './datacenter-strategy';
import { DEFAULT_LATENCY_OPTIONS, LATENCY_STRATEGY } from './latency-strategy';
import type { LatencyPickOptions } from './latency-strategy';
import type { DatacenterPickOptions } from './datacenter-strategy';
import type { GeoPoint } from './types';

/** TTL of answers for block targets without a record and without a strategy `ttl`. */
export const DEFAULT_DATACENTER_TTL = 60;

/** One address a member answers with. */
export interface DcTarget {
  /** The answer address, exactly as written (the block's address). */
  address: string;
  family: 4 | 6;
  /** The block the member lives in, canonical CIDR. */
  network: string;
  /** TTL from the member's record, if the target was written as one. */
  ttl?: number;
  pos: SourcePos;
}

/** One member of a datacenter pick. */
export interface DcMemberSpec {
  name: string;
  weight: number;
  dynamic: boolean;
  /** Explicit coordinates from the delivery file. */
  location?: GeoPoint;
  targets: DcTarget[];
  pos: SourcePos;
}

/** A datacenter pick as the DNS tier serves it. */
export interface DcServiceSpec {
  /** The service's name (`my-service`), the key for member state. */
  service: string;
  /** The DNS name answered: the `listen` URL's host, lower-case. */
  name: string;
  /** True when members come from `membership.…` (they need a presence lease once signals run). */
  membership: boolean;
  options: Omit<DatacenterPickOptions, 'sticky'>;
  /** Stickiness on the client subnet. */
  sticky: boolean;
  /** Strategy `ttl:`, overriding record TTLs. */
  ttl?: number;
  /** Set for measured-latency-then-dynamic-weight: how measured latency decides before location. */
  latency?: LatencyPickOptions;
  members: DcMemberSpec[];
  pos: SourcePos;
}

const IP_LITERAL = /^[0-9.]+$|:/;

function options(s: Service): Pick<DcServiceSpec, 'options' | 'sticky' | 'ttl' | 'latency'> {
  const st = s.strategy;
  const latency: LatencyPickOptions | undefined = st?.name !== LATENCY_STRATEGY ? undefined : {
    toleranceMs: st.latencyToleranceMs ?? DEFAULT_LATENCY_OPTIONS.toleranceMs,
    minSamples: st.latencyMinSamples ?? DEFAULT_LATENCY_OPTIONS.minSamples,
    maxAgeMs: st.latencyMaxAgeMs ?? DEFAULT_LATENCY_OPTIONS.maxAgeMs,
    exploration: st.exploration ?? DEFAULT_LATENCY_OPTIONS.exploration,
    prefixes: st.latencyNetworks ?? { ...DEFAULT_LATENCY_OPTIONS.prefixes },
  };
  const o: DcServiceSpec['options'] = {};
  if (st?.toleranceKm !== undefined) o.toleranceKm = st.toleranceKm;
  if (st?.answers !== undefined) o.answers = st.answers;
  if (st?.whenNoneReady !== undefined) o.whenNoneReady = st.whenNoneReady;
  if (st?.spillOver !== undefined) o.spillOver = st.spillOver;
  return { options: o, sticky: st?.sticky === 'client-subnet', ttl: st?.ttl, ...(latency ? { latency } : {}) };
}

function memberSpec(m: Member): DcMemberSpec {
  return {
    name: m.name,
    weight: m.weight,
    dynamic: m.dynamic,
    location: m.location,
    targets: m.targets.map((t) => ({ address: t.block.address, family: t.block.family, network: t.block.network, ttl: t.record?.ttl, pos: t.pos })),
    pos: m.pos,
  };
}

function isDatacenterPick(s: Service | undefined): s is Service {
  return s !== undefined && (s.strategy?.name === DATACENTER_STRATEGY || s.strategy?.name === LATENCY_STRATEGY) && s.listen !== undefined && !IP_LITERAL.test(s.listen.host);
}

/**
 * Every datacenter pick the DNS tier answers for (`dnsServices`: each delivery's
 * datacenter-pick service, and top-level services whose members are records, seed example 3;
 * top-level services with block members are cluster picks, seed example 2, and are skipped).
 */
export function datacenterServices(model: DeliveryModel): DcServiceSpec[] {
  const out: DcServiceSpec[] = [];
  for (const { service: s, delivery: d } of dnsServices(model)) {
    if (!isDatacenterPick(s)) continue;
    const base = { service: s.name, name: s.listen!.host, ...options(s), pos: s.pos };
    if (s.members?.kind === 'static') {
      out.push({ ...base, membership: false, members: memberLines(s) });
    } else if (d) {
      // `dynamic: membership.…`: signals decide who is a member right now. The members' targets
      // come from the top-level pick of the same name that declares them (seed examples 3 and 5
      // together), else from the delivery's datacenter sections (their `block:`), static weight 1.
      const declaring = declaringService(model, s);
      const sections = new Map(d.datacenters.map((sec) => [sec.name, sec]));
      const members: DcMemberSpec[] = declaring
        ? memberLines(declaring).map((m) => ({ ...m, location: m.location ?? sections.get(m.name)?.location }))
        : d.datacenters.map((sec) => ({
            name: sec.name,
            weight: 1,
            dynamic: true,
            location: sec.location,
            targets: sec.block ? [{ address: sec.block.address, family: sec.block.family, network: sec.block.network, pos: sec.block.pos }] : [],
            pos: sec.pos,
          }));
      const own = options(s);
      const fallback = declaring ? options(declaring) : own;
      out.push({
        ...base,
        options: { ...fallback.options, ...own.options },
        sticky: own.sticky || fallback.sticky,
        ttl: own.ttl ?? fallback.ttl,
        ...(own.latency ?? fallback.latency ? { latency: own.latency ?? fallback.latency } : {}),
        membership: true,
        members,
      });
    }
  }
  return out;
}

/** A service's member lines as member specs. */
function memberLines(s: Service): DcMemberSpec[] {
  if (s.members?.kind !== 'static') return [];
  return s.members.members.map(memberSpec);
}
