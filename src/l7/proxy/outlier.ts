/**
 * Passive health, modelled on Envoy's outlier detection: upstream failures seen on real traffic
 * eject a member for a while; every new ejection of the same member doubles the time (capped);
 * the member returns by itself when its time is up, and a healthy stretch after its return
 * lowers the multiplier again. Pure apart from the injected clock.
 */

/** Options (all durations in ms). */
export interface OutlierOptions {
  /** Consecutive failed requests (5xx, timeouts, resets) that eject a member; default 3. */
  consecutiveFailures?: number;
  /** Connection failures (refused, unreachable, connect timeout) that eject; default 1. */
  consecutiveConnectFailures?: number;
  /** First ejection time; default 5000. */
  baseEjectionMs?: number;
  /** Longest ejection time; default 300000. */
  maxEjectionMs?: number;
  now?: () => number;
  /** Called when a member is ejected (for logs). */
  onEject?: (key: string, ms: number, ejections: number) => void;
}

/** What one forwarded attempt came to. */
export type AttemptOutcome = 'success' | 'failure' | 'connect-failure';

interface State {
  failures: number;
  connectFailures: number;
  /** Times ejected without a healthy stretch since. */
  ejections: number;
  ejectedUntil: number;
  returnedAt: number;
}

/** Ejection state of every upstream member seen, by key. */
export class OutlierDetector {
  private readonly states = new Map<string, State>();
  private readonly o: Required<Omit<OutlierOptions, 'now' | 'onEject'>>;
  private readonly onEject?: OutlierOptions['onEject'];
  private readonly now: () => number;
  /** Incremented when a member is ejected; see epoch() for returns. */
  version = 0;
  /** Ends of running ejections, ascending. */
  private ends: number[] = [];

  constructor(opts: OutlierOptions = {}) {
    this.o = {
      consecutiveFailures: opts.consecutiveFailures ?? 3,
      consecutiveConnectFailures: opts.consecutiveConnectFailures ?? 1,
      baseEjectionMs: opts.baseEjectionMs ?? 5000,
      maxEjectionMs: opts.maxEjectionMs ?? 300_000,
    };
    this.now = opts.now ?? Date.now;
    this.onEject = opts.onEject;
  }

  private state(key: string): State {
    let s = this.states.get(key);
    if (!s) {
      s = { failures: 0, connectFailures: 0, ejections: 0, ejectedUntil: 0, returnedAt: 0 };
      this.states.set(key, s);
    }
    return s;
  }

  /**
   * A number that changes whenever the set of ejected members changes — by an ejection or by
   * an ejection running out — so callers can cache decisions per epoch.
   */
  epoch(): number {
    const now = this.now();
    while (this.ends.length > 0 && this.ends[0] <= now) {
      this.ends.shift();
      this.version++;
    }
    return this.version;
  }

  /** True while `key` is ejected. */
  isEjected(key: string): boolean {
    const s = this.states.get(key);
    return s !== undefined && s.ejectedUntil > this.now();
  }

  /** Milliseconds left of the ejection of `key` (0 when not ejected). */
  remainingMs(key: string): number {
    const s = this.states.get(key);
    return s ? Math.max(0, s.ejectedUntil - this.now()) : 0;
  }

  /** Records one attempt; returns true when this outcome ejected the member. */
  record(key: string, outcome: AttemptOutcome): boolean {
    const s = this.state(key);
    const now = this.now();
    if (outcome === 'success') {
      s.failures = 0;
      s.connectFailures = 0;
      // A healthy stretch as long as the base ejection time since the return halves the backoff.
      if (s.ejections > 0 && s.ejectedUntil <= now && now - s.returnedAt >= this.o.baseEjectionMs) {
        s.ejections--;
        s.returnedAt = now;
      }
      return false;
    }
    if (s.ejectedUntil > now) return false;
    s.failures++;
    if (outcome === 'connect-failure') s.connectFailures++;
    if (s.failures < this.o.consecutiveFailures && s.connectFailures < this.o.consecutiveConnectFailures) return false;
    s.ejections++;
    const ms = Math.min(this.o.maxEjectionMs, this.o.baseEjectionMs * 2 ** (s.ejections - 1));
    s.ejectedUntil = now + ms;
    const at = this.ends.findIndex((t) => t > s.ejectedUntil);
    this.ends.splice(at < 0 ? this.ends.length : at, 0, s.ejectedUntil);
    s.returnedAt = s.ejectedUntil;
    s.failures = 0;
    s.connectFailures = 0;
    this.version++;
    this.onEject?.(key, ms, s.ejections);
    return true;
  }

  /** Every member currently ejected, with the time left (for status). */
  ejected(): { key: string; remainingMs: number; ejections: number }[] {
    const now = this.now();
    return [...this.states.entries()].filter(([, s]) => s.ejectedUntil > now).map(([key, s]) => ({ key, remainingMs: s.ejectedUntil - now, ejections: s.ejections }));
  }
}
