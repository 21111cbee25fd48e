/**
 * The L7 tier `anypick proxy` runs, built from a delivery model: the route and what status and
 * the upward publisher read of it. Built at start and again on every reload (SIGHUP).
 */
import type { DeliveryModel } from '../../config/model';
import type { GeoDatabases } from '../../geo/databases';
import { loadAdmission } from '../../l7/admission/admission';
import type { Admission } from '../../l7/admission/admission';
import { ClusterPickRoute } from '../../l7/cluster/route';
import { admitControl, clusterPickService, clustersOf, entriesOf, findDatacenter, findServicePick, findTopLevelServicePick, servicePickList } from '../../l7/from-model';
import type { ProxyRoute } from '../../l7/proxy/server';
import { ServicePickRoute } from '../../l7/service-pick/route';
import { clusterPickAvailability, servicePickAvailability } from '../../l7/signals/availability';
import type { Availability } from '../../l7/signals/availability';
import type { MemberRegistry } from '../../signals/registry';

/** Which tier of the delivery (from the command line). */
export interface TierSelector {
  /** `--service`: a top-level service pick. */
  topService?: string;
  /** `--datacenter`: its cluster pick, or with `cluster` that cluster's service pick. */
  datacenter?: string;
  cluster?: string;
  /** `--member`: the name reported upward by a top-level service pick. */
  member?: string;
}

/** What the tier needs besides the model. */
export interface TierDeps {
  registry?: MemberRegistry;
  upstreamPort: number;
  outlier: { onEject(key: string, ms: number, n: number): void };
  /** `--geoip-db` (cluster pick only). */
  geo?: GeoDatabases;
}

/** One built tier. */
export interface ProxyTier {
  route: ProxyRoute;
  availability: () => Availability;
  decision: () => unknown;
  ejected: () => unknown;
  /** Identity towards the tier above: these may not change on a reload. */
  tier: 'cluster' | 'datacenter';
  service: string;
  member: string;
  scheme: string;
  /** For logs and status: "service pick of datacenter-1/cluster-1". */
  what: string;
  /** The compiled control of `admit:`, if any (the HAProxy engine turns it into ACLs). */
  admission?: Admission;
}

/** A service pick as a tier (it reports at the cluster tier upward). */
function servicePickTier(r: ServicePickRoute, id: Pick<ProxyTier, 'service' | 'member' | 'scheme' | 'what' | 'admission'>): ProxyTier {
  return {
    route: r,
    availability: () => servicePickAvailability(r.decide(), undefined, r.entriesNow()),
    decision: () => r.decide(),
    ejected: () => r.outlier.ejected(),
    tier: 'cluster',
    ...id,
  };
}

/**
 * Builds the selected tier from `model`; throws TierNotFoundError or AdmissionLoadError when
 * the model lacks it or its control does not compile.
 */
export function buildProxyTier(model: DeliveryModel, sel: TierSelector, deps: TierDeps): ProxyTier {
  const { registry, upstreamPort, outlier } = deps;
  if (sel.topService) {
    const name = sel.topService;
    const top = findTopLevelServicePick(model, name);
    const control = admitControl(top.service);
    const admission = control ? loadAdmission(control) : undefined;
    const r = new ServicePickRoute({ service: name, entries: entriesOf(top.list), admission, source: registry, upstreamPort, outlier });
    return servicePickTier(r, {
      admission,
      service: name,
      member: sel.member ?? name,
      scheme: control?.uri?.scheme ?? top.service.listen?.scheme ?? 'http',
      what: `service pick of ${name}`,
    });
  }
  const { delivery, dc } = findDatacenter(model, sel.datacenter!);
  const service = delivery.datacenterPick?.name ?? clusterPickService(dc).name;
  if (sel.cluster) {
    const sp = findServicePick(dc, sel.cluster);
    const control = admitControl(sp.service);
    const admission = control ? loadAdmission(control) : undefined;
    const r = new ServicePickRoute({ service, entries: entriesOf(servicePickList(sp)), admission, source: registry, upstreamPort, outlier });
    return servicePickTier(r, {
      admission,
      service,
      member: sel.cluster,
      scheme: control?.uri?.scheme ?? delivery.datacenterPick?.listen?.scheme ?? 'http',
      what: `service pick of ${sel.datacenter}/${sel.cluster}`,
    });
  }
  const s = clusterPickService(dc);
  const control = admitControl(s);
  const geo = deps.geo;
  const locate = geo ? (a: string) => geo.lookup(a).location : undefined;
  const r = new ClusterPickRoute({ service, clusters: clustersOf(dc), admission: control ? loadAdmission(control) : undefined, source: registry, upstreamPort, locate, toleranceKm: s.strategy?.toleranceKm, outlier });
  return {
    route: r,
    availability: () => clusterPickAvailability(r.candidates()),
    decision: () => r.decide(''),
    ejected: () => r.outlier.ejected(),
    tier: 'datacenter',
    service,
    member: dc.name,
    scheme: control?.uri?.scheme ?? delivery.datacenterPick?.listen?.scheme ?? 'http',
    what: `cluster pick of ${sel.datacenter}`,
  };
}
