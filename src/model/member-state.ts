/**
 * The live state of members as the signals machinery (src/signals) keeps it and the picks
 * (src/pick, src/l7) and the status view (src/status) read it. Types only.
 */

/**
 * The live state of one member as the signals machinery knows it. A member with no live
 * state (never reported, or dynamic signals not configured) is judged from static config.
 */
export interface MemberLiveState {
  /** Holds a current presence lease. */
  present: boolean;
  /** Reported ready (readiness > 0). */
  ready: boolean;
  /**
   * Multiplier applied to the member's static weight when it is `dyn`: 0 = no traffic,
   * 1 = full static weight. Combines readiness, utilization headroom, slow-start ramp and
   * error penalty (see docs/signals.md).
   */
  factor: number;
  /** Address the member reported in its presence signal (inside its block), if any. */
  address?: string;
  /** Port it reported with that address (`anypick.port`), if any: where L7 tiers reach it. */
  port?: number;
}

/** Looks up live member state; implemented by the signals registry. */
export interface MemberStateSource {
  /** State of `member` of `service` at `tier` ('datacenter' | 'cluster' | 'service'), or undefined. */
  get(tier: string, service: string, member: string): MemberLiveState | undefined;
  /** Changes as an incrementing version, so callers can cache decisions per version. */
  readonly version: number;
  /** Time left of the start-up grace, ms (0 after it; absent: no grace). */
  graceRemainingMs?(): number;
  /**
   * True while starting when the member's state is not from a report since start (not heard
   * from, or restored from a snapshot): answers relying on it get a TTL within the grace.
   */
  provisional?(tier: string, service: string, member: string): boolean;
}
