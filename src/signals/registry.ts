import { createHash } from 'node:crypto';
import type { MemberLiveState, MemberStateSource } from '../model/member-state';
import { memberKey } from './signal';
import type { MemberId, Signal, SignalKind } from './signal';
import { DEFAULT_WEIGHT_PARAMS, isTimeVarying, mergeErrors, weightFactor } from './weight';
import type { Sample, WeightParams } from './weight';

/** Options of a MemberRegistry. */
export interface RegistryOptions {
  /** Lease TTL: a member that stops reporting leaves after this long (default 3000 ms). */
  leaseMs?: number;
  /** Start-up grace: unknown members are judged statically until it ends (default = leaseMs). */
  graceMs?: number;
  weight?: WeightParams;
  /** Which signals feed the registry (the `subscribe:` block); default all four. */
  subscribed?: ReadonlySet<SignalKind>;
  /** Clock (ms since epoch); injected by tests. */
  now?: () => number;
  /** When false, no timers run and the owner calls tick() (tests). Default true. */
  timers?: boolean;
  /** Re-evaluation period while factors change with time (ramp, decay); default 100 ms. */
  tickMs?: number;
  /** Called after every version change. */
  onChange?: (version: number) => void;
  /** Called when a lease runs out. */
  onExpire?: (id: MemberId) => void;
}

interface Entry {
  id: MemberId;
  leaseUntil: number;
  readiness: number;
  address?: string;
  port?: number;
  utilization?: Sample;
  errors?: Sample;
  rampFrom?: number;
  lastSeen: number;
  /** Restored from a state snapshot and not reported since start. */
  restored?: boolean;
  state: MemberLiveState;
  /** After `leaving`: its record time (else receive time) and receive time, fencing replays. */
  left?: { sentAt: number; at: number };
}

/**
 * After a member said `leaving`, a presence `up` without a record time is refused for this long
 * (it may be a replay of a captured request); one with a record time must be newer than the
 * leaving. docs/signals.md, "Replay after leaving".
 */
export const REJOIN_FENCE_MS = 60_000;

/** What apply() refused: presence reports that look like replays of a time before `leaving`. */
export interface ApplyResult {
  refused: number;
  reason?: string;
}

/**
 * One member's inputs as a snapshot keeps them (src/signals/snapshot.ts): times relative to
 * the moment of the dump, so that they can be restored on another clock.
 */
export interface DumpedMember extends MemberId {
  /** Lease time left (0: no lease). */
  leaseRemainingMs: number;
  readiness: number;
  address?: string;
  port?: number;
  utilization?: { value: number; ageMs: number };
  errors?: { value: number; ageMs: number };
  /** Time since the slow-start ramp began, when one runs. */
  rampElapsedMs?: number;
}

const ABSENT: MemberLiveState = Object.freeze({ present: false, ready: false, factor: 0 });

/**
 * Live membership as leases, fed by signals; implements MemberStateSource. A presence report
 * creates or renews a lease, `leaving` ends it at once, silence ends it when the lease runs
 * out. During the start-up grace `get` returns undefined for members that have not reported
 * (the caller answers from static config); after it, such members are absent.
 */
export class MemberRegistry implements MemberStateSource {
  private ver = 0;
  private readonly entries = new Map<string, Entry>();
  private leaseMs: number;
  private graceUntil: number;
  private params: WeightParams;
  private readonly startedAt: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private inGrace = true;
  private closed = false;
  /** Leases that ran out since start. */
  expiries = 0;

  constructor(private readonly opts: RegistryOptions = {}) {
    this.leaseMs = opts.leaseMs ?? 3000;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.graceUntil = this.startedAt + (opts.graceMs ?? this.leaseMs);
    this.params = opts.weight ?? DEFAULT_WEIGHT_PARAMS;
    this.schedule();
  }

  /** Incremented on every change of any member's state (and at the end of the grace period). */
  get version(): number {
    return this.ver;
  }

  /** True until one grace period after start. */
  get starting(): boolean {
    return this.now() < this.graceUntil;
  }

  /** Time left of the start-up grace, ms (0 once it ended). */
  graceRemainingMs(): number {
    return this.inGrace ? Math.max(0, this.graceUntil - this.now()) : 0;
  }

  /**
   * True while starting for a member whose state does not come from a report since start: not
   * heard from (judged statically) or restored from a snapshot. Answers relying on it are
   * given short TTLs.
   */
  provisional(tier: string, service: string, member: string): boolean {
    if (this.graceRemainingMs() <= 0) return false;
    const e = this.entries.get(`${tier}/${service}/${member}`);
    return e === undefined || e.restored === true;
  }

  /** Every member's inputs, relative to now (for a state snapshot). */
  dump(): DumpedMember[] {
    const now = this.now();
    return [...this.entries.values()].map((e) => {
      const d: DumpedMember = { ...e.id, leaseRemainingMs: Math.max(0, e.leaseUntil - now), readiness: e.readiness };
      if (e.address !== undefined) d.address = e.address;
      if (e.port !== undefined) d.port = e.port;
      if (e.utilization) d.utilization = { value: e.utilization.value, ageMs: now - e.utilization.at };
      if (e.errors) d.errors = { value: e.errors.value, ageMs: now - e.errors.at };
      if (e.rampFrom !== undefined) d.rampElapsedMs = now - e.rampFrom;
      return d;
    });
  }

  /**
   * Restores dumped members taken `ageMs` ago (at start, before any report): leases keep what
   * was left of them minus the age (a member whose lease ran out meanwhile is absent, not
   * judged statically), readiness, address, utilization, errors and ramp carry over. Members
   * already known are left alone. Restored members count as provisional until they report.
   */
  restore(members: readonly DumpedMember[], ageMs: number): number {
    const now = this.now();
    let n = 0;
    for (const d of members) {
      const id: MemberId = { tier: d.tier, service: d.service, member: d.member };
      const key = memberKey(id);
      if (this.entries.has(key)) continue;
      const leaseUntil = d.leaseRemainingMs - ageMs > 0 ? now + d.leaseRemainingMs - ageMs : 0;
      const e: Entry = { id, leaseUntil, readiness: d.readiness, lastSeen: now - ageMs, restored: true, state: ABSENT };
      if (d.address !== undefined) e.address = d.address;
      if (d.port !== undefined) e.port = d.port;
      if (d.utilization) e.utilization = { value: d.utilization.value, at: now - ageMs - d.utilization.ageMs };
      if (d.errors) e.errors = { value: d.errors.value, at: now - ageMs - d.errors.ageMs };
      if (d.rampElapsedMs !== undefined) e.rampFrom = now - ageMs - d.rampElapsedMs;
      this.entries.set(key, e);
      n++;
    }
    this.evaluate(now);
    return n;
  }

  /** Live state of one member; undefined = judge from static config (grace, never reported). */
  get(tier: string, service: string, member: string): MemberLiveState | undefined {
    const e = this.entries.get(`${tier}/${service}/${member}`);
    if (e) return e.state;
    return this.inGrace && this.starting ? undefined : ABSENT;
  }

  /** Members of `service` at `tier` that hold a lease, with their state. */
  members(tier: string, service: string): Array<MemberId & MemberLiveState> {
    const out: Array<MemberId & MemberLiveState> = [];
    for (const e of this.entries.values()) {
      if (e.id.tier === tier && e.id.service === service && e.state.present) out.push({ ...e.id, ...e.state });
    }
    return out.sort((a, b) => a.member.localeCompare(b.member));
  }

  /** Every known member (present or not), for /status.json. */
  snapshot(): Array<MemberId & MemberLiveState & { leaseRemainingMs: number; utilization?: number }> {
    const now = this.now();
    return [...this.entries.values()]
      .map((e) => ({ ...e.id, ...e.state, leaseRemainingMs: Math.max(0, e.leaseUntil - now), utilization: e.utilization?.value }))
      .sort((a, b) => memberKey(a).localeCompare(memberKey(b)));
  }

  /** A digest of membership and weights: equal on every node that holds the same state. */
  digest(): string {
    const lines = [...this.entries.values()]
      .filter((e) => e.state.present)
      .map((e) => `${memberKey(e.id)} ${e.state.ready ? 1 : 0} ${e.state.factor.toFixed(2)} ${e.address ?? ''}${e.port === undefined ? '' : ` ${e.port}`}`)
      .sort();
    return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  }

  /** Lease TTL in force. */
  get lease(): number {
    return this.leaseMs;
  }

  /**
   * Applies a new configuration (after a reload): the lease TTL for future renewals, the grace
   * period (measured from start), the weight params and the subscribed signals.
   */
  configure(c: { leaseMs?: number; graceMs?: number; weight?: WeightParams; subscribed?: ReadonlySet<SignalKind> }): void {
    if (c.leaseMs !== undefined) this.leaseMs = c.leaseMs;
    if (this.inGrace) this.graceUntil = this.startedAt + (c.graceMs ?? this.leaseMs);
    if (c.weight) this.params = c.weight;
    if (c.subscribed) this.opts.subscribed = c.subscribed;
    this.evaluate(this.now());
  }

  /**
   * Applies signals (in order) and re-evaluates once; unsubscribed kinds are ignored. A presence
   * `up` that may replay a report from before the member's `leaving` is refused (counted).
   */
  apply(signals: readonly Signal[]): ApplyResult {
    const now = this.now();
    const sub = this.opts.subscribed;
    const result: ApplyResult = { refused: 0 };
    for (const s of signals) {
      if (sub && !sub.has(s.kind)) continue;
      const key = memberKey(s.id);
      let e = this.entries.get(key);
      if (!e) {
        e = { id: s.id, leaseUntil: 0, readiness: 1, lastSeen: now, state: ABSENT };
        this.entries.set(key, e);
      }
      if (s.kind === 'presence' && s.state === 'up' && e.left) {
        const replay = s.sentAt !== undefined ? s.sentAt <= e.left.sentAt : now - e.left.at < REJOIN_FENCE_MS;
        if (replay) {
          result.refused++;
          result.reason = s.sentAt !== undefined
            ? 'presence up older than the member\'s leaving (replay?)'
            : `presence up without a record time within ${REJOIN_FENCE_MS / 1000} s of leaving (replay?); send timeUnixNano`;
          continue;
        }
        e.left = undefined;
      }
      e.lastSeen = now;
      e.restored = false;
      switch (s.kind) {
        case 'presence':
          if (s.state === 'leaving') {
            e.leaseUntil = 0;
            e.rampFrom = undefined;
            e.left = { sentAt: s.sentAt ?? now, at: now };
          } else {
            // A member coming back (no lease before) after the grace period ramps up.
            if (e.leaseUntil <= now && now >= this.graceUntil) e.rampFrom = now;
            e.leaseUntil = now + this.leaseMs;
            if (s.address !== undefined) {
              e.address = s.address;
              e.port = s.port;
            }
          }
          break;
        case 'readiness':
          if (e.readiness === 0 && s.ready > 0 && now >= this.graceUntil && e.leaseUntil > now) e.rampFrom = now;
          e.readiness = s.ready;
          break;
        case 'utilization':
          e.utilization = { value: s.value, at: now };
          break;
        case 'errors':
          e.errors = mergeErrors(e.errors, s.ratio, now, this.params);
          break;
      }
    }
    this.evaluate(now);
    return result;
  }

  /** Expires leases, ends the grace period and recomputes time-varying factors. */
  tick(): void {
    this.evaluate(this.now());
  }

  /** Stops the timer. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private evaluate(now: number): void {
    let changed = false;
    if (this.inGrace && now >= this.graceUntil) {
      this.inGrace = false;
      changed = true;
    }
    for (const e of this.entries.values()) {
      const present = e.leaseUntil > now;
      if (!present && e.state.present && e.leaseUntil !== 0) {
        this.expiries++;
        this.opts.onExpire?.(e.id);
      }
      if (!present) e.leaseUntil = 0;
      const factor = present ? weightFactor(this.inputs(e), now, this.params) : 0;
      const ready = present && e.readiness > 0;
      const address = present ? e.address : undefined;
      const port = address === undefined ? undefined : e.port;
      const s = e.state;
      if (s.present !== present || s.ready !== ready || s.factor !== factor || s.address !== address || s.port !== port) {
        e.state = Object.freeze(address === undefined ? { present, ready, factor } : port === undefined ? { present, ready, factor, address } : { present, ready, factor, address, port });
        changed = true;
      }
    }
    if (changed) {
      this.ver++;
      this.opts.onChange?.(this.ver);
    }
    this.schedule();
  }

  private inputs(e: Entry) {
    return { readiness: e.readiness, utilization: e.utilization, rampFrom: e.rampFrom, errors: e.errors };
  }

  /** Arms one timer for the earliest moment anything can change by time alone. */
  private schedule(): void {
    if (this.opts.timers === false || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const now = this.now();
    let next = this.inGrace ? this.graceUntil : Infinity;
    for (const e of this.entries.values()) {
      // A lease that ran out since it was last evaluated (the process stalled in between): at once.
      if (e.leaseUntil <= now && e.state.present) next = now;
      else if (e.leaseUntil > now) {
        next = Math.min(next, e.leaseUntil);
        if (isTimeVarying(this.inputs(e), now, this.params)) next = Math.min(next, now + (this.opts.tickMs ?? 100));
        const staleAt = e.utilization ? e.utilization.at + this.params.utilizationMaxAgeMs + 1 : 0;
        if (staleAt > now) next = Math.min(next, staleAt);
      }
    }
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - now));
    this.timer.unref();
  }
}
