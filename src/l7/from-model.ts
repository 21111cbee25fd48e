/**
 * Finds a tier of a delivery in the loaded model and turns it into what the L7 routes run:
 * `--datacenter NAME` → the datacenter's cluster pick; `--cluster NAME` → that cluster's
 * service pick. One file describes all tiers; each process serves its own part.
 */
import type { Control, DatacenterSection, Delivery, DeliveryModel, List, Service, ServicePick } from '../config/model';
import type { Threshold } from '../pick/priority-then-weight';
import type { ClusterConfig } from './cluster/route';
import type { EntryConfig } from './service-pick/members';

/** Thrown when the requested tier is not in the model (exit code 1). */
export class TierNotFoundError extends Error {
  override readonly name = 'TierNotFoundError';
  readonly code = 'E_TIER_NOT_FOUND';
}

/** Default base weight of an entry whose weight is `dynamic from …`. */
export const DYNAMIC_ENTRY_BASE_WEIGHT = 100;

/** The datacenter section named `name`, with its delivery. */
export function findDatacenter(model: DeliveryModel, name: string): { delivery: Delivery; dc: DatacenterSection } {
  for (const delivery of model.deliveries) {
    const dc = delivery.datacenters.find((d) => d.name === name);
    if (dc) return { delivery, dc };
  }
  const known = model.deliveries.flatMap((d) => d.datacenters.map((x) => x.name));
  throw new TierNotFoundError(`no datacenter '${name}' in the delivery files (known: ${known.join(', ') || 'none'})`);
}

/** The cluster pick service of a datacenter (the named service of its cluster-pick-service). */
export function clusterPickService(dc: DatacenterSection, service?: string): Service {
  const cp = dc.clusterPick;
  if (!cp) throw new TierNotFoundError(`datacenter '${dc.name}' has no cluster-pick-service`);
  const s = service ? cp.services.find((x) => x.name === service) : cp.services[0];
  if (!s) throw new TierNotFoundError(`datacenter '${dc.name}': no cluster pick service${service ? ` '${service}'` : ''}`);
  return s;
}

/** The service pick of cluster `name` in `dc`. */
export function findServicePick(dc: DatacenterSection, name: string): ServicePick {
  const cl = dc.clusterPick?.clusters.find((c) => c.name === name);
  if (!cl) throw new TierNotFoundError(`datacenter '${dc.name}' has no cluster '${name}' (known: ${dc.clusterPick?.clusters.map((c) => c.name).join(', ') || 'none'})`);
  if (!cl.servicePick) throw new TierNotFoundError(`cluster '${name}' has no service-pick-service`);
  return cl.servicePick;
}

/** The control a service admits with, if any. */
export function admitControl(s: Service): Control | undefined {
  return s.admit?.resolved;
}

function threshold(t: List['entries'][number]['threshold']): Threshold | undefined {
  if (!t) return undefined;
  return t.kind === 'count' ? { kind: 'ready', count: t.ready } : { kind: 'percent', percent: t.percent };
}

/** The list a service pick forwards to (`next-hop: list.NAME`). */
export function servicePickList(sp: ServicePick): List {
  const ref = sp.service.nextHop;
  const list = ref?.resolved ?? sp.lists.find((l) => l.name === ref?.name) ?? (sp.lists.length === 1 ? sp.lists[0] : undefined);
  if (!list) throw new TierNotFoundError(`service pick '${sp.service.name}' has no next-hop list`);
  return list;
}

/**
 * Rejects `requires` cycles among a list's entries (a branch that needs itself can never be
 * up), naming the file, line and column of the entry that closes the cycle.
 */
export function checkRequiresCycles(list: List): void {
  const byName = new Map(list.entries.map((e) => [e.name, e]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const e = byName.get(name);
    if (!e || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const p = e.pos;
      throw new TierNotFoundError(`${p.file}:${p.line}:${p.col}: requires cycle in list '${list.name}': ${[...path, name].join(' → ')}`);
    }
    state.set(name, 'visiting');
    for (const r of e.requires) visit(r.name, [...path, name]);
    state.set(name, 'done');
  };
  for (const e of list.entries) visit(e.name, []);
}

/** A top-level `service NAME:` with `next-hop: list.NAME` (seed example 1) as a service pick. */
export function findTopLevelServicePick(model: DeliveryModel, name: string): { service: Service; list: List } {
  const service = model.services.find((s) => s.name === name && s.tier === undefined);
  if (!service) throw new TierNotFoundError(`no top-level service '${name}' in the delivery files`);
  const list = service.nextHop?.resolved ?? model.lists.find((l) => l.name === service.nextHop?.name);
  if (!list) throw new TierNotFoundError(`service '${name}' has no next-hop list`);
  return { service, list };
}

/** List entries as the service pick runs them. */
export function entriesOf(list: List): EntryConfig[] {
  checkRequiresCycles(list);
  return list.entries.map((e) => ({
    name: e.name,
    priority: e.priority,
    weight: e.weight?.kind === 'static' ? e.weight.value : DYNAMIC_ENTRY_BASE_WEIGHT,
    dynamicWeight: e.weight?.kind === 'dynamic',
    threshold: threshold(e.threshold),
    requires: e.requires.map((r) => r.name),
    members:
      e.members?.kind === 'static'
        ? { kind: 'static', endpoints: e.members.endpoints.map((p) => ({ name: p.name, host: p.host, port: p.port, weight: p.weight })) }
        : { kind: 'dynamic', service: e.members?.ref.service ?? e.name },
  }));
}

/** Clusters of a datacenter as the cluster pick runs them (equal static weight 10, dynamic). */
export function clustersOf(dc: DatacenterSection): ClusterConfig[] {
  return (dc.clusterPick?.clusters ?? []).map((c) => ({
    name: c.name,
    weight: 10,
    dynamic: true,
    location: c.location,
    address: c.block?.address,
  }));
}
