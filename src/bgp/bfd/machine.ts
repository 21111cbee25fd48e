/**
 * One BFD session in asynchronous mode (RFC 5880 §6.8, single hop per RFC 5881), without
 * sockets or timers: the caller passes the time (ms) and randomness in, sends what `poll()`
 * returns and calls `poll()` again at `nextWake()`.
 */
import { BFD_DIAG, BFD_STATE, BFD_STATE_NAMES } from './packet';
import type { BfdStateName, ControlPacket } from './packet';

/** Configured timing: the interval we want to send and receive at, and the detection multiplier. */
export interface BfdTiming {
  intervalMs: number;
  multiplier: number;
}

/** A state change, for the log and for the BGP session. */
export interface BfdChange {
  from: BfdStateName;
  to: BfdStateName;
  /** Diagnostic code (RFC 5880 §4.1) explaining a change to Down. */
  diag: number;
}

/** RFC 5880 §6.8.3: while not Up, DesiredMinTxInterval is at least one second. */
const SLOW_TX_US = 1_000_000;

/** The session variables of RFC 5880 §6.8.1 (intervals in microseconds as on the wire). */
export class BfdMachine {
  state: number = BFD_STATE.Down;
  diag: number = BFD_DIAG.None;
  remoteDisc = 0;
  remoteState: number = BFD_STATE.Down;
  /** RFC 5880 §6.8.1: initialised to 1 (µs). */
  remoteMinRx = 1;
  remoteDesiredTx = 0;
  remoteDetectMult = 0;
  desiredMinTx = SLOW_TX_US;
  readonly requiredMinRx: number;
  /** A Poll Sequence is running (RFC 5880 §6.5): every packet carries P until an F arrives. */
  pollActive = false;
  /** A received P must be answered with F as soon as practicable. */
  private finalDue = false;
  private nextTx: number;
  private detectAt?: number;

  constructor(readonly localDisc: number, readonly timing: BfdTiming, now: number) {
    if (localDisc === 0) throw new RangeError('BFD local discriminator must be non-zero');
    this.requiredMinRx = Math.round(timing.intervalMs * 1000);
    this.nextTx = now;
  }

  /** Name of the current state. */
  get stateName(): BfdStateName {
    return BFD_STATE_NAMES[this.state]!;
  }

  /** RFC 5880 §6.8.4: remote Detect Mult × max(our RequiredMinRx, their DesiredMinTx), in ms. */
  detectionTimeMs(): number {
    return (this.remoteDetectMult * Math.max(this.requiredMinRx, this.remoteDesiredTx)) / 1000;
  }

  /** RFC 5880 §6.8.7: max(DesiredMinTx, RemoteMinRx), in ms. */
  txIntervalMs(): number {
    return Math.max(this.desiredMinTx, this.remoteMinRx) / 1000;
  }

  /** When `poll()` must run next (ms). */
  nextWake(): number {
    if (this.finalDue) return 0;
    return Math.min(this.nextTx, this.detectAt ?? Infinity);
  }

  /**
   * A valid packet for this session arrived (RFC 5880 §6.8.6 from "Set bfd.RemoteDiscr" on).
   * Returns the state change it caused, if any.
   */
  receive(p: ControlPacket, now: number): BfdChange | undefined {
    this.remoteDisc = p.myDisc;
    this.remoteState = p.state;
    this.remoteMinRx = p.requiredMinRx;
    this.remoteDesiredTx = p.desiredMinTx;
    this.remoteDetectMult = p.detectMult;
    if (p.final && this.pollActive) this.pollActive = false;
    if (p.poll) this.finalDue = true;
    if (this.state === BFD_STATE.AdminDown) return undefined;
    this.detectAt = now + this.detectionTimeMs();
    const before = this.state;
    if (p.state === BFD_STATE.AdminDown) {
      if (this.state !== BFD_STATE.Down) this.setState(BFD_STATE.Down, BFD_DIAG.NeighborSignaledDown, now);
    } else if (this.state === BFD_STATE.Down) {
      if (p.state === BFD_STATE.Down) this.setState(BFD_STATE.Init, BFD_DIAG.None, now);
      else if (p.state === BFD_STATE.Init) this.setState(BFD_STATE.Up, BFD_DIAG.None, now);
    } else if (this.state === BFD_STATE.Init) {
      if (p.state === BFD_STATE.Init || p.state === BFD_STATE.Up) this.setState(BFD_STATE.Up, BFD_DIAG.None, now);
    } else if (p.state === BFD_STATE.Down) {
      this.setState(BFD_STATE.Down, BFD_DIAG.NeighborSignaledDown, now);
    }
    return before === this.state ? undefined : { from: BFD_STATE_NAMES[before]!, to: this.stateName, diag: this.diag };
  }

  /**
   * Runs the timers: the detection time (Init/Up → Down with diag 1) and transmission. Returns
   * the packet to send now, if any, and a state change.
   */
  poll(now: number, random: number): { send?: ControlPacket; change?: BfdChange } {
    let change: BfdChange | undefined;
    if (this.detectAt !== undefined && now >= this.detectAt) {
      this.detectAt = undefined;
      // RFC 5880 §6.8.1: RemoteDiscr is zeroed when nothing arrived within the detection time.
      this.remoteDisc = 0;
      if (this.state === BFD_STATE.Init || this.state === BFD_STATE.Up) {
        const from = this.stateName;
        this.setState(BFD_STATE.Down, BFD_DIAG.ControlDetectionTimeExpired, now);
        change = { from, to: 'Down', diag: this.diag };
      }
    }
    let send: ControlPacket | undefined;
    // RFC 5880 §6.8.7: no periodic packets while the remote asks for none (RemoteMinRx 0).
    const periodic = now >= this.nextTx && this.remoteMinRx !== 0;
    if (this.finalDue || periodic) {
      send = this.packet(this.finalDue);
      this.finalDue = false;
      if (periodic) {
        // §6.8.7: jitter 0–25 % below the interval (10–25 % with Detect Mult 1).
        const r = Math.min(Math.max(random, 0), 1);
        const factor = this.timing.multiplier === 1 ? 0.9 - 0.15 * r : 1 - 0.25 * r;
        this.nextTx = now + this.txIntervalMs() * factor;
      }
    }
    return { send, change };
  }

  /** Goes AdminDown (diag 7) and returns the packet telling the peer; sessions stop after this. */
  adminDown(): ControlPacket {
    this.state = BFD_STATE.AdminDown;
    this.diag = BFD_DIAG.AdministrativelyDown;
    this.detectAt = undefined;
    return this.packet(false);
  }

  /** The Control packet for our current state (RFC 5880 §6.8.7). */
  packet(final: boolean): ControlPacket {
    return {
      version: 1, diag: this.diag, state: this.state, poll: this.pollActive && !final, final, cpi: false, auth: false,
      demand: false, multipoint: false, detectMult: this.timing.multiplier, myDisc: this.localDisc, yourDisc: this.remoteDisc,
      desiredMinTx: this.desiredMinTx, requiredMinRx: this.requiredMinRx, requiredMinEchoRx: 0,
    };
  }

  private setState(next: number, diag: number, now: number): void {
    this.state = next;
    if (next === BFD_STATE.Down) this.diag = diag;
    else if (next === BFD_STATE.Up) this.diag = BFD_DIAG.None;
    // §6.8.3: slow (≥ 1 s) while not Up; the configured rate once Up, announced with a Poll Sequence.
    const want = next === BFD_STATE.Up ? Math.round(this.timing.intervalMs * 1000) : Math.max(SLOW_TX_US, Math.round(this.timing.intervalMs * 1000));
    if (want !== this.desiredMinTx) {
      this.desiredMinTx = want;
      this.pollActive = next === BFD_STATE.Up;
    }
    // Tell the peer about the change at once instead of at the next interval.
    this.nextTx = now;
  }
}
