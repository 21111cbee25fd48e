/**
 * Helpers to walk a loaded model: every service at every tier, with where it sits.
 */
import type { ClusterSection, DatacenterSection, Delivery, DeliveryModel, List, ListEntry, Service, Tier } from './model';

/** A service and the delivery sections that enclose it. */
export interface PlacedService {
  service: Service;
  delivery?: Delivery;
  datacenter?: DatacenterSection;
  cluster?: ClusterSection;
}

/** Every service of the model: top-level ones, then each delivery's tiers, in file order. */
export function allServices(model: DeliveryModel): PlacedService[] {
  const out: PlacedService[] = model.services.map((service) => ({ service }));
  for (const delivery of model.deliveries) {
    if (delivery.datacenterPick) out.push({ service: delivery.datacenterPick, delivery });
    for (const datacenter of delivery.datacenters) {
      const cp = datacenter.clusterPick;
      if (!cp) continue;
      for (const service of cp.services) out.push({ service, delivery, datacenter });
      for (const cluster of cp.clusters) {
        const sp = cluster.servicePick;
        if (!sp) continue;
        out.push({ service: sp.service, delivery, datacenter, cluster });
        for (const service of sp.services) out.push({ service, delivery, datacenter, cluster });
      }
    }
  }
  return out;
}

/** Whether a service's static members are written as records (`"OWNER TYPE IN TTL ADDR/LEN"`). */
export function hasRecordMembers(s: Service): boolean {
  return s.members?.kind === 'static' && s.members.members.some((m) => m.targets.some((t) => t.record));
}

/**
 * Whether a top-level service is answered by DNS: it has static members and either some are
 * records (seed example 3) or it listens on a whole host (no path) — DNS answers for names, not
 * paths, so a service on `https://example.com/api/` with block members is a cluster pick
 * (seed example 2).
 */
export function isDnsTier(s: Service): boolean {
  if (!s.listen) return false;
  if (s.tier !== undefined) return s.tier === 'datacenter';
  return s.members?.kind === 'static' && (hasRecordMembers(s) || s.listen.path === '/');
}

/**
 * The tier a top-level service serves at, read from what it is written with: a service with
 * `next-hop: list.X` is a service pick (seed example 1), one the DNS tier answers is a datacenter
 * pick (seed example 3), any other is a cluster pick (seed example 2). Delivery services carry
 * their tier from where they are written. The same name may be used once per tier: the article
 * writes `my-service` at all three.
 */
export function servingTier(s: Service): Tier {
  if (s.tier !== undefined) return s.tier;
  if (s.nextHop || s.strategy?.name === 'priority-then-weight') return 'service';
  return isDnsTier(s) ? 'datacenter' : 'cluster';
}

/**
 * The top-level datacenter pick that declares the members of a delivery's dynamic datacenter
 * pick: same name, same `listen` host, static member lines. Its lines give each member's
 * targets and location; the delivery's signals decide which of them are members right now.
 */
export function declaringService(model: DeliveryModel, dynamic: Service): Service | undefined {
  if (dynamic.tier !== 'datacenter' || dynamic.members?.kind !== 'dynamic' || !dynamic.listen) return undefined;
  return model.services.find(
    (s) => s.name === dynamic.name && s.tier === undefined && isDnsTier(s) && s.listen?.host === dynamic.listen?.host,
  );
}

/**
 * The services the authoritative DNS tier answers for (the DNS name is the `listen` host):
 * every delivery's datacenter-pick service, and top-level services `isDnsTier` accepts.
 */
export function dnsServices(model: DeliveryModel): PlacedService[] {
  const all = allServices(model).filter((p) => isDnsTier(p.service));
  // A top-level pick that declares the members of a delivery's dynamic pick is answered as part of it.
  const declaring = new Set(all.map((p) => declaringService(model, p.service)).filter((s): s is Service => s !== undefined));
  return all.filter((p) => !declaring.has(p.service));
}

/** Every list of the model: top-level ones, then those inside each delivery's tiers. */
export function allLists(model: DeliveryModel): List[] {
  const out: List[] = [...model.lists];
  for (const d of model.deliveries) {
    for (const dc of d.datacenters) {
      if (!dc.clusterPick) continue;
      out.push(...dc.clusterPick.lists);
      for (const c of dc.clusterPick.clusters) out.push(...(c.servicePick?.lists ?? []));
    }
  }
  return out;
}

/** Every list entry of the model, in file order. */
export function allEntries(model: DeliveryModel): ListEntry[] {
  return allLists(model).flatMap((l) => l.entries);
}
