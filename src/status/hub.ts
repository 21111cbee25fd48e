import type { AnswerSeries, BgpSessionStatus, MemberStatus, NodeStatus, StatusEvent } from './types';

/** Where the hub reads member and BGP state from when a status is asked for. */
export interface StatusProviders {
  members?: () => MemberStatus[];
  bgp?: () => BgpSessionStatus[];
  dns?: () => NodeStatus['dns'];
  stateVersion?: () => string;
}

/**
 * Collects what the dashboard shows: answers per member in time buckets (a ring of
 * `keepBuckets`), recent state-change events (a ring of `keepEvents`), and providers for the
 * rest. Memory is bounded whatever the traffic. Time is injected for tests.
 */
export class StatusHub {
  private readonly buckets: Array<{ start: number; counts: Map<string, number> }> = [];
  private readonly events: StatusEvent[] = [];
  private readonly startedAt: number;

  constructor(
    private readonly name: string,
    private readonly version: string,
    private providers: StatusProviders = {},
    private readonly opts: { bucketSeconds: number; keepBuckets: number; keepEvents: number } = {
      bucketSeconds: 5,
      keepBuckets: 120,
      keepEvents: 200,
    },
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** Adds or replaces providers (components register as they start). */
  provide(p: StatusProviders): void {
    this.providers = { ...this.providers, ...p };
  }

  /** Counts one answer that carried `member`. */
  recordAnswer(member: string): void {
    this.addAnswers(member, 1);
  }

  /** Counts `n` answers that carried `member`, in the current bucket. */
  addAnswers(member: string, n: number): void {
    const t = this.now();
    const start = t - (t % (this.opts.bucketSeconds * 1000));
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.start !== start) {
      last = { start, counts: new Map() };
      this.buckets.push(last);
      if (this.buckets.length > this.opts.keepBuckets) this.buckets.shift();
    }
    last.counts.set(member, (last.counts.get(member) ?? 0) + n);
  }

  /** Records a state change. */
  event(kind: string, text: string): void {
    this.events.push({ t: new Date(this.now()).toISOString(), kind, text });
    if (this.events.length > this.opts.keepEvents) this.events.shift();
  }

  /** The answer series, oldest bucket first. */
  answers(): AnswerSeries {
    return {
      bucketSeconds: this.opts.bucketSeconds,
      buckets: this.buckets.map((b) => ({ t: new Date(b.start).toISOString(), counts: Object.fromEntries(b.counts) })),
    };
  }

  /** Everything, for `/status.json` and the dashboard. */
  snapshot(): NodeStatus {
    const p = this.providers;
    return {
      node: {
        name: this.name,
        version: this.version,
        startedAt: new Date(this.startedAt).toISOString(),
        now: new Date(this.now()).toISOString(),
        stateVersion: p.stateVersion?.(),
      },
      members: p.members?.() ?? [],
      answers: this.answers(),
      bgp: p.bgp?.() ?? [],
      events: [...this.events].reverse(),
      dns: p.dns?.(),
    };
  }
}
