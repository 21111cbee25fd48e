/**
 * The service pick as a proxy route: `admit: control.NAME`, then priority-then-weight over the
 * list, with passive health removing ejected members and the view rebuilt only when membership
 * or ejections change.
 */
import type { Admission, AdmissionRequest, Admitted } from '../admission/admission';
import { choosePrepared, memberShares, pickPrepared, preparePriorityThenWeight } from '../../pick/priority-then-weight';
import type { MemberShare, PtwMember, PtwPrepared, PtwResult } from '../../pick/priority-then-weight';
import type { MemberStateSource } from '../../pick/types';
import { OutlierDetector } from '../proxy/outlier';
import type { AttemptOutcome, OutlierOptions } from '../proxy/outlier';
import type { ProxyRoute, Upstream } from '../proxy/server';
import { buildView } from './members';
import type { EntryConfig, ListView } from './members';

/** Options of a service pick route. */
export interface ServicePickOptions {
  /** The service (e.g. `my-service`). */
  service: string;
  entries: EntryConfig[];
  admission?: Admission;
  source?: MemberStateSource;
  upstreamPort?: number;
  outlier?: OutlierOptions;
  random?: () => number;
}

function origin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The service pick route. */
export class ServicePickRoute implements ProxyRoute {
  readonly outlier: OutlierDetector;
  private view: ListView | undefined;
  private prepared: PtwPrepared | undefined;
  /** Source version and outlier epoch the view was built at. */
  private viewVersion = -1;
  private viewEpoch = -1;
  /** One Upstream per member of the view, built with it (no per-request strings). */
  private upstreams = new Map<PtwMember, Upstream>();
  private readonly random: () => number;

  constructor(private readonly o: ServicePickOptions) {
    this.outlier = new OutlierDetector(o.outlier);
    this.random = o.random ?? Math.random;
  }

  /** Admission (none configured: everything is admitted). */
  admit(req: AdmissionRequest): Admitted {
    return this.o.admission ? this.o.admission.admit(req) : {};
  }

  private current(): ListView {
    // Ejections end by time alone; the outlier epoch moves when one does.
    const version = this.o.source?.version ?? 0;
    const epoch = this.outlier.epoch();
    if (!this.view || version !== this.viewVersion || epoch !== this.viewEpoch) {
      this.view = buildView({
        entries: this.o.entries,
        source: this.o.source,
        upstreamPort: this.o.upstreamPort ?? 80,
        ejected: (k) => this.outlier.isEjected(k),
      });
      this.prepared = preparePriorityThenWeight(this.view.entries, this.view.services);
      this.upstreams = new Map();
      for (const e of this.view.entries) {
        for (const m of e.members) {
          const key = `${e.name}/${m.name}`;
          const ep = this.view.endpoints.get(key)!;
          this.upstreams.set(m, { key, origin: origin(ep.host, ep.port) });
        }
      }
      this.viewVersion = version;
      this.viewEpoch = epoch;
    }
    return this.view;
  }

  /** One pick with its explanation (also used by status and the upward publisher). */
  decide(exclude: ReadonlySet<string> = new Set()): PtwResult {
    this.current();
    return pickPrepared(this.prepared!, { random: this.random, exclude });
  }

  /** The list's inputs now (entries with live member state), for availability and status. */
  entriesNow(): ListView['entries'] {
    return this.current().entries;
  }

  /** Picks a member; a string says why none is available. */
  pick(_client: string, exclude: ReadonlySet<string>): Upstream | string {
    this.current();
    const c = choosePrepared(this.prepared!, this.random, exclude);
    // No member: the explanation is built only now.
    if (!c) return this.decide(exclude).reason;
    return this.upstreams.get(c.member)!;
  }

  /** Every member with its address and share of traffic now (what a data plane such as HAProxy needs). */
  shares(): (MemberShare & { key: string; host: string; port: number })[] {
    const view = this.current();
    return memberShares(this.prepared!).map((s) => {
      const key = `${s.entry}/${s.member}`;
      const ep = view.endpoints.get(key)!;
      return { ...s, key, host: ep.host, port: ep.port };
    });
  }

  /** Feeds passive health. */
  record(up: Upstream, outcome: AttemptOutcome): void {
    this.outlier.record(up.key, outcome);
  }
}
