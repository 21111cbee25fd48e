/** The signals anypick reads out of OTLP, after identity and schema checks (docs/signals.md). */

/** The tiers a member can belong to. */
export const TIERS = ['datacenter', 'cluster', 'service'] as const;
export type Tier = (typeof TIERS)[number];

/** Who a signal is about. */
export interface MemberId {
  tier: Tier;
  service: string;
  member: string;
}

/** The names of the four signals, as `publish:`/`subscribe:` blocks name them. */
export const SIGNAL_KINDS = ['presence', 'readiness', 'utilization', 'errors'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/**
 * One checked signal. `at` is the receive time (ms since epoch); `sentAt` the record's own time
 * when it carried one (used to refuse a replayed presence after `leaving`).
 */
export type Signal =
  | { kind: 'presence'; id: MemberId; at: number; state: 'up' | 'leaving'; address?: string; port?: number; sentAt?: number }
  | { kind: 'readiness'; id: MemberId; at: number; ready: number }
  | { kind: 'utilization'; id: MemberId; at: number; value: number }
  | { kind: 'errors'; id: MemberId; at: number; ratio: number };

/** `tier/service/member`, the registry key. */
export function memberKey(id: MemberId): string {
  return `${id.tier}/${id.service}/${id.member}`;
}
