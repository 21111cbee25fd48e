/**
 * The cluster pick as a proxy route: `admit: control.NAME`, then internet-location-then-dynamic-
 * weight — the same pure module as the DNS tier (src/pick/datacenter-strategy) — over the
 * datacenter's clusters, forwarding to the picked cluster's service pick.
 */
import { pickDatacenter } from '../../pick/datacenter-strategy';
import type { DatacenterCandidate, DatacenterPick } from '../../pick/datacenter-strategy';
import type { GeoPoint, MemberStateSource } from '../../pick/types';
import type { Admission, AdmissionRequest, Admitted } from '../admission/admission';
import { OutlierDetector } from '../proxy/outlier';
import type { AttemptOutcome, OutlierOptions } from '../proxy/outlier';
import type { ProxyRoute, Upstream } from '../proxy/server';

/** Tier name clusters report under. */
export const CLUSTER_TIER = 'cluster';

/** One cluster of the datacenter. */
export interface ClusterConfig {
  name: string;
  /** Static weight (default 10); scaled by signals when `dynamic`. */
  weight: number;
  dynamic: boolean;
  /** `location: LAT,LON`, or derived from the block through the geo database. */
  location?: GeoPoint;
  /** Address from `block:` — used when the cluster's presence signal carries none. */
  address?: string;
  /** Service-pick port of this cluster from static config, used when it reports no port; else the route's upstreamPort. */
  port?: number;
}

/** Finds a location for an address; the geo database does. */
export type Locate = (address: string) => GeoPoint | undefined;

/** Options of a cluster pick route. */
export interface ClusterPickOptions {
  service: string;
  clusters: ClusterConfig[];
  admission?: Admission;
  source?: MemberStateSource;
  /** Port of a cluster's service pick when it reports no port (`anypick.port`) and has none configured. */
  upstreamPort: number;
  locate?: Locate;
  toleranceKm?: number;
  outlier?: OutlierOptions;
  random?: () => number;
}

function origin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The cluster pick route. */
export class ClusterPickRoute implements ProxyRoute {
  readonly outlier: OutlierDetector;
  private readonly random: () => number;

  constructor(private readonly o: ClusterPickOptions) {
    this.outlier = new OutlierDetector(o.outlier);
    this.random = o.random ?? Math.random;
  }

  /** Admission (none configured: everything is admitted). */
  admit(req: AdmissionRequest): Admitted {
    return this.o.admission ? this.o.admission.admit(req) : {};
  }

  private locate(addr: string | undefined): GeoPoint | undefined {
    if (!addr || !this.o.locate) return undefined;
    try {
      return this.o.locate(addr);
    } catch {
      return undefined;
    }
  }

  /** Candidates now: live state from signals, minus ejected and excluded clusters. */
  candidates(exclude: ReadonlySet<string> = new Set()): DatacenterCandidate<Upstream>[] {
    const out: DatacenterCandidate<Upstream>[] = [];
    for (const c of this.o.clusters) {
      if (exclude.has(c.name) || this.outlier.isEjected(c.name)) continue;
      const live = this.o.source?.get(CLUSTER_TIER, this.o.service, c.name);
      const address = live?.address ?? c.address;
      if (!address) continue;
      // A reported address comes with its reported port, if any; else the configured one.
      const port = (live?.address !== undefined ? live.port : undefined) ?? c.port ?? this.o.upstreamPort;
      out.push({
        name: c.name,
        staticWeight: c.weight,
        dynamic: c.dynamic,
        location: c.location ?? this.locate(c.address),
        live,
        targets: [{ key: c.name, origin: origin(address, port) }],
      });
    }
    return out;
  }

  /** One decision with its explanation. */
  decide(client: string, exclude: ReadonlySet<string> = new Set()): DatacenterPick<Upstream> {
    const opts = this.o.toleranceKm === undefined ? {} : { toleranceKm: this.o.toleranceKm };
    return pickDatacenter(this.candidates(exclude), this.locate(client), { ...opts, answers: 1, whenNoneReady: 'none', spillOver: false }, this.random);
  }

  /** Picks a cluster; a string says why none is available. */
  pick(client: string, exclude: ReadonlySet<string>): Upstream | string {
    const r = this.decide(client, exclude);
    const first = r.picked[0];
    return first ? first.targets[0] : `no cluster ready (${r.reason})`;
  }

  /** Feeds passive health. */
  record(up: Upstream, outcome: AttemptOutcome): void {
    this.outlier.record(up.key, outcome);
  }
}
