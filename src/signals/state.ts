/**
 * Member state that crosses a thread or process boundary. The registry lives with the receiver
 * (a worker thread, or the primary of `serve --workers N`); every DNS event loop holds a
 * MemberStateMirror that applies the registry's published state, O(members) per change, and
 * answers the picks' lookups from a Map.
 */
import type { MemberLiveState, MemberStateSource } from '../model/member-state';
import type { MemberRegistry } from './registry';
import type { MemberId } from './signal';

/** One member in a published state: its live state, lease end (ms since epoch), utilization. */
export type PublishedMember = MemberId & MemberLiveState & { leaseUntil: number; utilization?: number; provisional?: true };

/** The registry's state as published after every change (structured-clone and JSON safe). */
export interface PublishedState {
  version: number;
  /** In the start-up grace: members that never reported are judged statically. */
  starting: boolean;
  digest: string;
  expiries: number;
  lease: number;
  /** End of the start-up grace, ms since epoch (absent once it is over). */
  graceUntil?: number;
  members: PublishedMember[];
}

/** What /status.json, /metrics and the status page read of member state. */
export interface MemberStateView extends MemberStateSource {
  readonly starting: boolean;
  readonly expiries: number;
  readonly lease: number;
  digest(): string;
  snapshot(): Array<MemberId & MemberLiveState & { leaseRemainingMs: number; utilization?: number }>;
}

/** Captures a registry's state for publishing. */
export function publishState(reg: MemberRegistry, now = Date.now()): PublishedState {
  const grace = reg.graceRemainingMs();
  return {
    version: reg.version,
    starting: reg.starting,
    digest: reg.digest(),
    expiries: reg.expiries,
    lease: reg.lease,
    ...(grace > 0 ? { graceUntil: now + grace } : {}),
    members: reg.snapshot().map(({ leaseRemainingMs, utilization, ...m }) => ({
      ...m,
      leaseUntil: leaseRemainingMs > 0 ? now + leaseRemainingMs : 0,
      // No undefined keys: the state must read the same after JSON (cluster IPC).
      ...(utilization === undefined ? {} : { utilization }),
      // Restored from a snapshot and not reported since start (answers relying on it get short TTLs).
      ...(reg.provisional(m.tier, m.service, m.member) ? { provisional: true as const } : {}),
    })),
  };
}

const ABSENT: MemberLiveState = Object.freeze({ present: false, ready: false, factor: 0 });

function liveState(m: PublishedMember): MemberLiveState {
  const s: MemberLiveState = { present: m.present, ready: m.ready, factor: m.factor };
  if (m.address !== undefined) s.address = m.address;
  if (m.port !== undefined) s.port = m.port;
  return Object.freeze(s);
}

/**
 * The DNS side's copy of member state. Before the first published state it behaves as a
 * registry in its start-up grace (every member judged statically). States older than the one
 * held (by version) are ignored, so a late message cannot roll state back.
 */
export class MemberStateMirror implements MemberStateView {
  private state: PublishedState = { version: 0, starting: true, digest: '', expiries: 0, lease: 3000, members: [] };
  private readonly byKey = new Map<string, MemberLiveState>();
  private readonly provisionalKeys = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes a published state; returns false when it is older than the one held. */
  apply(next: PublishedState): boolean {
    if (next.version < this.state.version) return false;
    this.state = next;
    this.byKey.clear();
    this.provisionalKeys.clear();
    for (const m of next.members) {
      const key = `${m.tier}/${m.service}/${m.member}`;
      this.byKey.set(key, liveState(m));
      if (m.provisional) this.provisionalKeys.add(key);
    }
    return true;
  }

  /** Time left of the registry's start-up grace, ms (0 once over). */
  graceRemainingMs(): number {
    const until = this.state.graceUntil;
    return this.state.starting && until !== undefined ? Math.max(0, until - this.now()) : 0;
  }

  /** While starting: a member not heard from since start (unknown, or restored from a snapshot). */
  provisional(tier: string, service: string, member: string): boolean {
    if (this.graceRemainingMs() <= 0) return false;
    const key = `${tier}/${service}/${member}`;
    return !this.byKey.has(key) || this.provisionalKeys.has(key);
  }

  get version(): number {
    return this.state.version;
  }

  get starting(): boolean {
    return this.state.starting;
  }

  get expiries(): number {
    return this.state.expiries;
  }

  get lease(): number {
    return this.state.lease;
  }

  get(tier: string, service: string, member: string): MemberLiveState | undefined {
    const s = this.byKey.get(`${tier}/${service}/${member}`);
    if (s) return s;
    return this.state.starting ? undefined : ABSENT;
  }

  /** Members of `service` at `tier` holding a lease (as MemberRegistry.members). */
  members(tier: string, service: string): Array<MemberId & MemberLiveState> {
    return this.state.members
      .filter((m) => m.tier === tier && m.service === service && m.present)
      .map((m) => ({ tier: m.tier, service: m.service, member: m.member, ...liveState(m) }));
  }

  digest(): string {
    return this.state.digest;
  }

  snapshot(): Array<MemberId & MemberLiveState & { leaseRemainingMs: number; utilization?: number }> {
    const now = this.now();
    return this.state.members.map(({ leaseUntil, ...m }) => ({ ...m, leaseRemainingMs: Math.max(0, leaseUntil - now) }));
  }
}
