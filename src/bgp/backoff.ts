/**
 * When the next BGP connection attempt may start: exponential backoff between attempts that do
 * not reach Established, and damping of sessions that die shortly after Established
 * (RFC 4271 §8.1.1 DampPeerOscillations). Pure: time and randomness are passed in.
 */

/** Timing of retries and damping, in milliseconds (defaults in `DEFAULTS` of config.ts, documented in docs/bgp.md). */
export interface RetryTiming {
  /** First delay between attempts (1 s). */
  baseMs: number;
  /** Cap of the doubling (30 s). */
  maxMs: number;
  /** A session that ends less than this after Established counts as a flap (10 s). */
  flapWithinMs: number;
  /** Consecutive flaps tolerated before damping starts (2: the third flap is damped). */
  flapsAllowed: number;
  /** First damped hold-back (15 s), doubled per further flap. */
  dampMinMs: number;
  /** Cap of the damped hold-back (10 min). */
  dampMaxMs: number;
}

/**
 * RFC 4271 §10 suggests jitter: every delay is multiplied by a factor in [0.75, 1.0), so several
 * speakers restarted together do not retry in lockstep.
 */
export function jitter(ms: number, random: number): number {
  return Math.round(ms * (0.75 + 0.25 * Math.min(Math.max(random, 0), 0.999999)));
}

/** The delay before attempt number `failures` + 1: base × 2^failures, capped (before jitter). */
export function backoffDelay(t: RetryTiming, failures: number): number {
  return Math.min(t.baseMs * 2 ** Math.min(failures, 30), t.maxMs);
}

/** The hold-back after `flaps` consecutive short sessions, or 0 when not damped (before jitter). */
export function dampDelay(t: RetryTiming, flaps: number): number {
  if (flaps <= t.flapsAllowed) return 0;
  return Math.min(t.dampMinMs * 2 ** Math.min(flaps - t.flapsAllowed - 1, 30), t.dampMaxMs);
}

/** What `Retry.afterDown` decided. */
export interface RetryDecision {
  /** When the next attempt may start (ms, same clock as `now`). */
  at: number;
  /** Set when damping holds the attempt back: why, for the log. */
  damped?: { flaps: number; delayMs: number; reason: string };
}

/**
 * The retry state of one session. An attempt owns a "slot" of `backoffDelay(failures)` ms from
 * its start; the next attempt starts when the slot ends, however early the attempt failed, so
 * attempts are 1, 2, 4, 8 … s apart (jittered) until one reaches Established.
 */
export class Retry {
  /** Consecutive attempts that did not reach Established. */
  failures = 0;
  /** Consecutive sessions that ended within `flapWithinMs` of Established. */
  flaps = 0;
  /** End of the current attempt's slot. */
  slotEnd = 0;
  private establishedAt?: number;

  constructor(readonly timing: RetryTiming) {}

  /**
   * An attempt starts (or the connect-retry timer must be armed): returns when its slot ends.
   * Inside a running slot nothing changes; otherwise a new slot of the next backoff opens.
   */
  slot(now: number, random: number): number {
    if (now < this.slotEnd) return this.slotEnd;
    this.slotEnd = now + jitter(backoffDelay(this.timing, this.failures), random);
    this.failures = Math.min(this.failures + 1, 30);
    return this.slotEnd;
  }

  /** The session reached Established: backoff starts over. */
  established(now: number): void {
    this.failures = 0;
    this.slotEnd = 0;
    this.establishedAt = now;
  }

  /** The session went down: when the next attempt may start, damped after repeated short sessions. */
  afterDown(now: number, random: number): RetryDecision {
    const upAt = this.establishedAt;
    this.establishedAt = undefined;
    if (upAt !== undefined) {
      const lived = now - upAt;
      this.flaps = lived < this.timing.flapWithinMs ? this.flaps + 1 : 0;
      const d = dampDelay(this.timing, this.flaps);
      if (d > 0) {
        const delayMs = jitter(d, random);
        this.slotEnd = now + delayMs;
        return { at: this.slotEnd, damped: { flaps: this.flaps, delayMs, reason: `${this.flaps} sessions in a row ended within ${this.timing.flapWithinMs / 1000} s of Established (last after ${lived} ms)` } };
      }
    }
    return { at: this.slot(now, random) };
  }
}
