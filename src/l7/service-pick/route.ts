/**
 * The service pick as a proxy route: `admit: control.NAME`, then priority-then-weight over the
 * list, with passive health removing ejected members and the view rebuilt only when membership
 * or ejections change.
 */
import type { Admission, AdmissionRequest, Admitted } from '../admission/admission';
import { memberShares, pickPrepared, preparePriorityThenWeight } from '../../pick/priority-then-weight';
import type { MemberShare, PtwPrepared, PtwResult } from '../../pick/priority-then-weight';
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
  private viewKey = '';
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
    const key = `${this.o.source?.version ?? 0}/${this.outlier.epoch()}`;
    if (!this.view || key !== this.viewKey) {
      this.view = buildView({
        entries: this.o.entries,
        source: this.o.source,
        upstreamPort: this.o.upstreamPort ?? 80,
        ejected: (k) => this.outlier.isEjected(k),
      });
      this.prepared = preparePriorityThenWeight(this.view.entries, this.view.services);
      this.viewKey = key;
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
    const r = this.decide(exclude);
    if (!r.pick) return r.reason;
    const key = `${r.pick.entry}/${r.pick.member}`;
    const ep = this.current().endpoints.get(key)!;
    return { key, origin: origin(ep.host, ep.port) };
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
