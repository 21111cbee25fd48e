/**
 * The latency map of the DNS tier: client network → datacenter → smoothed median round trip,
 * sample count and when it was last reported (docs/datacenter-pick.md, "Measured latency").
 * Bounded: at most `maxNetworks` networks, the least recently reported evicted first; a network
 * not reported for `maxAgeMs` is dropped. Pure apart from the injected clock.
 */
import type { LatencyEstimate, LatencySource } from '../model/latency';
import { DEFAULT_NETWORK_PREFIXES, checkPrefixes, networkKeyOf, networkKeyText } from '../util/network-key';
import type { NetworkPrefixes } from '../util/network-key';

/** Options of a LatencyMap. */
export interface LatencyMapOptions {
  /** Most networks held (default 1,000,000); the least recently reported goes first. */
  maxNetworks?: number;
  /** A network (or one datacenter's estimate of it) not reported for this long is dropped (default 1 h). */
  maxAgeMs?: number;
  /** EWMA weight of one sample (default 0.1): a report of n samples moves the estimate by 1 − 0.9ⁿ. */
  alpha?: number;
  /** Aggregation of client addresses (default /24 and /48). */
  prefixes?: NetworkPrefixes;
  now?: () => number;
}

/** The defaults of LatencyMapOptions. */
export const DEFAULT_LATENCY_MAP = { maxNetworks: 1_000_000, maxAgeMs: 3_600_000, alpha: 0.1 } as const;

/**
 * One datacenter's checked report for many networks, as it crosses from the receiver thread to
 * every DNS event loop (structured-clone and JSON safe when the arrays are plain).
 */
export interface LatencyBatch {
  datacenter: string;
  /** Network keys (src/util/network-key.ts). */
  keys: ArrayLike<number>;
  /** Median RTT of the report for each key, ms. */
  medians: ArrayLike<number>;
  /** Connections measured for each key (≥ 1). */
  counts: ArrayLike<number>;
}

/** One estimate as a snapshot keeps it: its age instead of a time. */
export interface DumpedLatency {
  key: number;
  datacenter: string;
  rttMs: number;
  samples: number;
  ageMs: number;
}

interface Estimate {
  datacenter: string;
  rttMs: number;
  samples: number;
  lastSeen: number;
}

/** Memory per network measured by test/signals/latency-map.test.ts ("memory"), one datacenter each. */
export const LATENCY_BYTES_PER_NETWORK = 200;

/** The latency map; implements LatencySource for the datacenter pick. */
export class LatencyMap implements LatencySource {
  readonly prefixes: NetworkPrefixes;
  private readonly maxNetworks: number;
  private readonly maxAgeMs: number;
  private readonly alpha: number;
  private readonly now: () => number;
  /** Insertion order = order of the last report: the first entry is the least recently reported. */
  private readonly rows = new Map<number, Estimate[]>();
  private ver = 0;
  /** Networks dropped to stay within maxNetworks, and for age. */
  evicted = 0;
  expired = 0;

  constructor(o: LatencyMapOptions = {}) {
    this.maxNetworks = o.maxNetworks ?? DEFAULT_LATENCY_MAP.maxNetworks;
    this.maxAgeMs = o.maxAgeMs ?? DEFAULT_LATENCY_MAP.maxAgeMs;
    this.alpha = o.alpha ?? DEFAULT_LATENCY_MAP.alpha;
    this.prefixes = checkPrefixes(o.prefixes ?? DEFAULT_NETWORK_PREFIXES);
    this.now = o.now ?? Date.now;
    if (!(Number.isInteger(this.maxNetworks) && this.maxNetworks >= 1)) throw new RangeError(`maxNetworks must be an integer ≥ 1, got ${this.maxNetworks}`);
    if (!(this.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, got ${this.maxAgeMs}`);
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${this.alpha}`);
  }

  get version(): number {
    return this.ver;
  }

  /** Networks held. */
  get size(): number {
    return this.rows.size;
  }

  /** Estimates of one network (older than maxAgeMs included until the next sweep; callers judge freshness). */
  get(key: number): readonly LatencyEstimate[] | undefined {
    return this.rows.get(key);
  }

  /** Folds one report into the map: `count` connections of `key` to `datacenter` with median `medianMs`. */
  record(datacenter: string, key: number, medianMs: number, count: number, now = this.now()): void {
    if (!(count > 0) || !Number.isFinite(medianMs) || medianMs < 0) return;
    const row = this.rows.get(key);
    if (row) this.rows.delete(key);
    else {
      while (this.rows.size >= this.maxNetworks) {
        this.rows.delete(this.rows.keys().next().value as number);
        this.evicted++;
      }
      // A literal of one: an empty array grown by push reserves 17 slots.
      this.rows.set(key, [{ datacenter, rttMs: medianMs, samples: count, lastSeen: now }]);
      this.ver++;
      return;
    }
    this.rows.set(key, row);
    let e: Estimate | undefined;
    for (let i = 0; i < row.length; i++) {
      const x = row[i];
      if (x.datacenter === datacenter) e = x;
      else if (now - x.lastSeen > this.maxAgeMs) row.splice(i--, 1);
    }
    if (!e || now - e.lastSeen > this.maxAgeMs) {
      if (e) row.splice(row.indexOf(e), 1);
      row.push({ datacenter, rttMs: medianMs, samples: count, lastSeen: now });
    } else {
      const w = 1 - Math.pow(1 - this.alpha, count);
      e.rttMs += w * (medianMs - e.rttMs);
      e.samples += count;
      e.lastSeen = now;
    }
    this.ver++;
  }

  /** Applies one datacenter's batch, then drops networks past their age. */
  apply(b: LatencyBatch): void {
    const now = this.now();
    const n = Math.min(b.keys.length, b.medians.length, b.counts.length);
    for (let i = 0; i < n; i++) this.record(b.datacenter, b.keys[i], b.medians[i], b.counts[i], now);
    this.sweep(now);
  }

  /** Drops networks not reported for maxAgeMs (oldest first: stops at the first fresh one). */
  sweep(now = this.now()): number {
    let n = 0;
    for (const [key, row] of this.rows) {
      let last = 0;
      for (const e of row) last = Math.max(last, e.lastSeen);
      if (now - last <= this.maxAgeMs) break;
      this.rows.delete(key);
      n++;
    }
    if (n > 0) {
      this.expired += n;
      this.ver++;
    }
    return n;
  }

  /** Networks per datacenter with at least `minSamples` reported within `maxAgeMs` (the dashboard's coverage). */
  coverage(minSamples: number, maxAgeMs = this.maxAgeMs, now = this.now()): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.rows.values()) {
      for (const e of row) if (e.samples >= minSamples && now - e.lastSeen <= maxAgeMs) out[e.datacenter] = (out[e.datacenter] ?? 0) + 1;
    }
    return out;
  }

  /** Every estimate, oldest network first, ages relative to now (for the state file). */
  dump(now = this.now()): DumpedLatency[] {
    const out: DumpedLatency[] = [];
    for (const [key, row] of this.rows) for (const e of row) out.push({ key, datacenter: e.datacenter, rttMs: e.rttMs, samples: e.samples, ageMs: now - e.lastSeen });
    return out;
  }

  /** Restores dumped estimates taken `ageMs` ago (in their order, so the LRU order survives). */
  restore(items: readonly DumpedLatency[], ageMs: number, now = this.now()): number {
    let n = 0;
    for (const d of items) {
      const lastSeen = now - ageMs - d.ageMs;
      if (now - lastSeen > this.maxAgeMs || !(d.samples > 0) || !Number.isFinite(d.rttMs)) continue;
      let row = this.rows.get(d.key);
      if (!row) {
        if (this.rows.size >= this.maxNetworks) continue;
        row = [];
        this.rows.set(d.key, row);
      }
      if (row.some((e) => e.datacenter === d.datacenter)) continue;
      row.push({ datacenter: d.datacenter, rttMs: d.rttMs, samples: d.samples, lastSeen });
      n++;
    }
    if (n > 0) this.ver++;
    return n;
  }
}

/**
 * The DNS side's latency map: applies the receiver's batches (through the thread, or relayed by
 * the primary of `serve --workers N`) and starts a fresh map when the delivery's network
 * prefixes change (keys of one prefix mean nothing under another).
 */
export class LatencyMirror implements LatencySource {
  private map: LatencyMap;
  private base = 0;

  constructor(private readonly options: Omit<LatencyMapOptions, 'prefixes'> = {}) {
    this.map = new LatencyMap(options);
  }

  get version(): number {
    return this.base + this.map.version;
  }

  get prefixes(): NetworkPrefixes {
    return this.map.prefixes;
  }

  /** The map in use (for status, metrics and the state file). */
  get current(): LatencyMap {
    return this.map;
  }

  get(key: number): readonly LatencyEstimate[] | undefined {
    return this.map.get(key);
  }

  /** Applies a batch whose keys were made with `prefixes`. */
  apply(batch: LatencyBatch, prefixes: NetworkPrefixes): void {
    if (prefixes.v4 !== this.map.prefixes.v4 || prefixes.v6 !== this.map.prefixes.v6) {
      this.base += this.map.version + 1;
      this.map = new LatencyMap({ ...this.options, prefixes });
    }
    this.map.apply(batch);
  }
}

/** `/latency.json`: the map's size and coverage, or with `network` one network's estimates. */
export interface LatencyView {
  prefixes: NetworkPrefixes;
  networks: number;
  evicted: number;
  expired: number;
  /** Networks per datacenter with a report within the map's age limit. */
  coverage: Record<string, number>;
  network?: string;
  estimates?: Array<{ datacenter: string; rttMs: number; samples: number; ageSeconds: number }>;
  error?: string;
}

/** The view of `map` (serve's `/latency.json?network=ADDR` of the ECS or client address). */
export function latencyView(map: LatencyMap, network: string | null, now = Date.now()): LatencyView {
  const view: LatencyView = { prefixes: map.prefixes, networks: map.size, evicted: map.evicted, expired: map.expired, coverage: map.coverage(1, undefined, now) };
  if (network === null || network === '') return view;
  let key: number;
  try {
    key = networkKeyOf(network.split('/')[0]!, map.prefixes);
  } catch (err) {
    return { ...view, error: `network=${network}: ${(err as Error).message}` };
  }
  view.network = networkKeyText(key, map.prefixes);
  view.estimates = (map.get(key) ?? []).map((e) => ({ datacenter: e.datacenter, rttMs: Math.round(e.rttMs * 100) / 100, samples: e.samples, ageSeconds: Math.round((now - e.lastSeen) / 100) / 10 }));
  return view;
}
