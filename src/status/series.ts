/**
 * The dashboard over time: rolling series of a running serve, one point per step (default
 * 360 points of 10 s: the last hour), in fixed-size rings, so memory is bounded whatever the
 * traffic or uptime: at most `maxSeries` series of `points` numbers each. Rates are computed
 * from the difference of cumulative counters between two samples; time is injected.
 */
import { latencyQuantile } from '../dns/latency';
import type { BgpSessionStatus, MemberStatus } from './types';

/** Default step between points. */
export const SERIES_STEP_MS = 10_000;
/** Default points kept per series (one hour at the default step). */
export const SERIES_POINTS = 360;
/** Default bound of the number of series. */
export const SERIES_MAX = 1024;

/** The groups of series: queries/s by RCODE, processing time quantiles (µs), answers/s by `service/member`, member factor and readiness, BGP session established. */
export type SeriesGroup = 'qps' | 'latency' | 'answers' | 'factor' | 'ready' | 'bgp';

/** What `/series.json` returns: point times (Unix ms) oldest first, and each series' values at them (null: no value then). */
export interface SeriesView {
  stepSeconds: number;
  points: number;
  maxSeries: number;
  /** Series not kept because `maxSeries` was reached. */
  droppedSeries: number;
  /** When the interval of the first point began (Unix ms): a rate at t[i] covers t[i-1] (or `from`) to t[i]. */
  from: number | null;
  t: number[];
  groups: Partial<Record<SeriesGroup, Record<string, Array<number | null>>>>;
}

/** Options of a SeriesStore. */
export interface SeriesOptions {
  stepMs?: number;
  points?: number;
  maxSeries?: number;
}

/** Fixed rings of points sharing one time axis; a series absent at a point has NaN there. */
export class SeriesStore {
  readonly stepMs: number;
  readonly points: number;
  readonly maxSeries: number;
  private readonly times: Float64Array;
  private readonly series = new Map<string, { group: SeriesGroup; name: string; values: Float64Array }>();
  /** Index of the newest point; `count` points are valid. */
  private head = -1;
  private count = 0;
  private dropped = 0;
  private origin: number | null = null;

  constructor(opts: SeriesOptions = {}) {
    this.stepMs = opts.stepMs ?? SERIES_STEP_MS;
    this.points = opts.points ?? SERIES_POINTS;
    this.maxSeries = opts.maxSeries ?? SERIES_MAX;
    if (!(this.stepMs > 0) || !Number.isInteger(this.points) || this.points < 2 || !Number.isInteger(this.maxSeries) || this.maxSeries < 1) {
      throw new RangeError(`series: step ${this.stepMs} ms, ${this.points} points, ${this.maxSeries} series: expected a positive step, at least 2 points and 1 series`);
    }
    this.times = new Float64Array(this.points);
  }

  /** Starts a new point at time `t` (Unix ms); every series is NaN there until set. */
  begin(t: number): void {
    this.head = (this.head + 1) % this.points;
    // The evicted point's time is where the oldest kept interval begins.
    if (this.count === this.points) this.origin = this.times[this.head];
    this.count = Math.min(this.points, this.count + 1);
    this.times[this.head] = t;
    for (const s of this.series.values()) s.values[this.head] = NaN;
  }

  /** Sets where the first point's interval begins, when no point was taken yet. */
  startAt(t: number): void {
    if (this.count === 0) this.origin = t;
  }

  /** Sets the value of `group`/`name` at the current point (a new series when there is room, else counted as dropped). */
  set(group: SeriesGroup, name: string, value: number): void {
    if (this.head < 0) return;
    const key = `${group}\0${name}`;
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries) {
        this.dropped++;
        return;
      }
      s = { group, name, values: new Float64Array(this.points).fill(NaN) };
      this.series.set(key, s);
    }
    s.values[this.head] = value;
  }

  /** Everything, oldest point first; series with no value left in the window are omitted (and forgotten). */
  view(): SeriesView {
    const order: number[] = [];
    for (let i = this.count - 1; i >= 0; i--) order.push((this.head - i + this.points) % this.points);
    const groups: SeriesView['groups'] = {};
    for (const [key, s] of this.series) {
      const values = order.map((i) => (Number.isNaN(s.values[i]) ? null : s.values[i]));
      if (values.every((v) => v === null)) {
        this.series.delete(key);
        continue;
      }
      (groups[s.group] ??= {})[s.name] = values;
    }
    return { stepSeconds: this.stepMs / 1000, points: this.points, maxSeries: this.maxSeries, droppedSeries: this.dropped, from: this.count > 0 ? this.origin : null, t: order.map((i) => this.times[i]), groups };
  }
}

/** What the sampler reads each step: cumulative counters and the state now. */
export interface SeriesSources {
  /** Replies by RCODE mnemonic since start (DnsCountersSnapshot.repliesByRcode). */
  repliesByRcode: () => Record<string, number>;
  /** Cumulative UDP processing-time histogram (LatencyHistogram.snapshot). */
  latency?: () => number[];
  members?: () => MemberStatus[];
  bgp?: () => BgpSessionStatus[];
}

/**
 * Turns the sources into one point per step: queries/s per RCODE (and `total`), p50/p99 of
 * the processing time in µs over the step, answers/s per `service/member` (counted with
 * `addAnswers` between steps), each member's factor and readiness (1/0), and 1/0 per BGP
 * session for Established. `sample` is called by the timer of `start`, or by tests with their clock.
 */
export class SeriesSampler {
  private lastT: number;
  private lastRcodes: Record<string, number>;
  private lastLatency: number[];
  private readonly answers = new Map<string, number>();

  constructor(readonly store: SeriesStore, private readonly sources: SeriesSources, private readonly now: () => number = Date.now) {
    this.lastT = now();
    store.startAt(this.lastT);
    this.lastRcodes = { ...sources.repliesByRcode() };
    this.lastLatency = sources.latency?.() ?? [];
  }

  /** Counts `n` answers of `service` naming `member` into the current step. */
  addAnswers(service: string, member: string, n: number): void {
    const k = `${service}/${member}`;
    this.answers.set(k, (this.answers.get(k) ?? 0) + n);
  }

  /** Takes one point now. */
  sample(): void {
    const t = this.now();
    const dt = (t - this.lastT) / 1000;
    if (!(dt > 0)) return;
    const s = this.store;
    s.begin(t);
    const rcodes = this.sources.repliesByRcode();
    let total = 0;
    for (const [rcode, n] of Object.entries(rcodes)) {
      const d = Math.max(0, n - (this.lastRcodes[rcode] ?? 0));
      total += d;
      s.set('qps', rcode, d / dt);
    }
    s.set('qps', 'total', total / dt);
    this.lastRcodes = { ...rcodes };
    if (this.sources.latency) {
      const now = this.sources.latency();
      const diff = now.map((n, i) => n - (this.lastLatency[i] ?? 0));
      const p50 = latencyQuantile(diff, 0.5);
      const p99 = latencyQuantile(diff, 0.99);
      if (p50 !== undefined) s.set('latency', 'p50', p50 / 1000);
      if (p99 !== undefined) s.set('latency', 'p99', p99 / 1000);
      this.lastLatency = now;
    }
    // Members answered before stay at 0 rather than gaps (as many as the members of the picks).
    for (const [k, n] of this.answers) {
      s.set('answers', k, n / dt);
      this.answers.set(k, 0);
    }
    for (const m of this.sources.members?.() ?? []) {
      const k = `${m.service}/${m.member}`;
      s.set('factor', k, m.factor);
      s.set('ready', k, m.present && m.ready ? 1 : 0);
    }
    for (const b of this.sources.bgp?.() ?? []) s.set('bgp', b.neighbor, b.state === 'Established' ? 1 : 0);
    this.lastT = t;
  }

  /** Samples every step (the timer does not hold the process open). */
  start(): { stop(): void } {
    const timer = setInterval(() => this.sample(), this.store.stepMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}
