/**
 * Helpers to walk a loaded model: every service at every tier, with where it sits.
 */
import type { ClusterSection, DatacenterSection, Delivery, DeliveryModel, Service } from './model';

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

/**
 * The services the authoritative DNS tier answers for: top-level services and datacenter-pick
 * services that have a `listen` URL (the DNS name is its host).
 */
export function dnsServices(model: DeliveryModel): PlacedService[] {
  return allServices(model).filter((p) => p.service.listen && (p.service.tier === undefined || p.service.tier === 'datacenter'));
}
