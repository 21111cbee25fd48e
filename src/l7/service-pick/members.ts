/**
 * Turns the service pick's list (from the delivery file) plus live state (signals registry,
 * passive health) into the inputs of priority-then-weight, and remembers where each member is.
 */
import type { MemberLiveState, MemberStateSource } from '../../pick/types';
import type { PtwEntry, PtwMember, PtwService, Threshold } from '../../pick/priority-then-weight';

/** Tier name members of a service pick report under. */
export const SERVICE_TIER = 'service';

/** A member present in the registry, as `MemberRegistry.members()` lists it. */
export interface ListedMember extends MemberLiveState {
  member: string;
}

/** A MemberStateSource that can also list who holds a lease (the signals registry does). */
export interface MemberDirectory extends MemberStateSource {
  members(tier: string, service: string): ListedMember[];
}

/** How an entry's members are known. */
export type EntryMembersConfig =
  | { kind: 'static'; endpoints: { name: string; host: string; port: number; weight: number }[] }
  /** `members: dynamic from membership.SERVICE` — whoever holds a lease for SERVICE at the service tier. */
  | { kind: 'dynamic'; service: string };

/** One list entry as the service pick runs it. */
export interface EntryConfig {
  name: string;
  priority: number;
  /** Static weight (for `weight: dynamic from …` the base weight, default 100). */
  weight: number;
  dynamicWeight: boolean;
  threshold?: Threshold;
  requires: string[];
  members: EntryMembersConfig;
}

/** Where a picked member is reached. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Live view of the list at one moment. */
export interface ListView {
  entries: PtwEntry[];
  services: Map<string, PtwService>;
  endpoints: Map<string, Endpoint>;
}

/** Inputs to build a view. */
export interface ViewInputs {
  entries: readonly EntryConfig[];
  source?: MemberStateSource;
  /** Port of dynamic members that report an address without a port (`anypick.port`). */
  upstreamPort: number;
  /** True while passive health has `entry/member` ejected. */
  ejected: (key: string) => boolean;
}

function isDirectory(s: MemberStateSource | undefined): s is MemberDirectory {
  return typeof (s as Partial<MemberDirectory> | undefined)?.members === 'function';
}

function dynamicMembers(inp: ViewInputs, entry: string, service: string, endpoints: Map<string, Endpoint>): PtwMember[] {
  if (!isDirectory(inp.source)) return [];
  return inp.source.members(SERVICE_TIER, service).flatMap((m) => {
    if (!m.address) return [];
    const key = `${entry}/${m.member}`;
    endpoints.set(key, { host: m.address, port: m.port ?? inp.upstreamPort });
    return [{ name: m.member, weight: 1, ready: m.ready && !inp.ejected(key), factor: m.factor }];
  });
}

/** Builds the priority-then-weight inputs from config and live state. */
export function buildView(inp: ViewInputs): ListView {
  const endpoints = new Map<string, Endpoint>();
  const entries: PtwEntry[] = inp.entries.map((e) => {
    let members: PtwMember[];
    if (e.members.kind === 'static') {
      members = e.members.endpoints.map((ep) => {
        const key = `${e.name}/${ep.name}`;
        endpoints.set(key, { host: ep.host, port: ep.port });
        const live = inp.source?.get(SERVICE_TIER, e.name, ep.name);
        // No live state: judged from static config (ready, full weight).
        const ready = (live ? live.present && live.ready : true) && !inp.ejected(key);
        return { name: ep.name, weight: ep.weight, ready, factor: live ? live.factor : 1 };
      });
    } else members = dynamicMembers(inp, e.name, e.members.service, endpoints);
    return { name: e.name, priority: e.priority, weight: e.weight, dynamicWeight: e.dynamicWeight, threshold: e.threshold, requires: e.requires, members };
  });
  const services = new Map<string, PtwService>();
  const names = new Set(inp.entries.map((e) => e.name));
  for (const e of inp.entries) {
    for (const dep of e.requires) {
      if (names.has(dep) || services.has(dep) || !isDirectory(inp.source)) continue;
      const members = inp.source.members(SERVICE_TIER, dep).map((m) => ({ name: m.member, weight: 1, ready: m.ready, factor: m.factor }));
      services.set(dep, { name: dep, members });
    }
  }
  return { entries, services, endpoints };
}
