/**
 * Who keeps a TCP slot (RFC 7766 §6.2.3, §10): a bounded table of connections with a
 * per-message read timeout (a frame must complete within `messageTimeoutMs` of its first byte),
 * an idle timeout that shrinks as the table fills, a cap per client address (IPv6: per /64),
 * and, when a cap is reached, the oldest idle connection is closed to make room rather than the
 * new one refused. A connection in the middle of a message is never evicted: a new one is
 * refused only when every slot is mid-message. No sockets: the transport reports activity, the
 * table says what to close. Time is passed in.
 */
import { readFileSync } from 'node:fs';
import { networkOf, tryParseAddress, unmapV4, unmapV4Text } from '../util/ip';
import type { TcpCloseReason, TcpRefuseReason } from './counters';

/** Limits of the TCP transport. */
export interface TcpLimits {
  /** Connections open at once (all addresses). */
  maxConnections: number;
  /** Connections open at once from one client address (IPv6: one /64). */
  maxPerAddress: number;
  /** Idle timeout while the table is at most half full. */
  idleTimeoutMs: number;
  /** Idle timeout when full (it shrinks linearly from half full). */
  minIdleTimeoutMs: number;
  /** A frame (length and message) must arrive within this time of its first byte. */
  messageTimeoutMs: number;
}

export const DEFAULT_TCP_LIMITS: Readonly<Omit<TcpLimits, 'maxConnections'>> = {
  maxPerAddress: 64,
  idleTimeoutMs: 10_000,
  minIdleTimeoutMs: 1_000,
  messageTimeoutMs: 2_000,
};

/**
 * Default connection cap: half the process's open-file limit (each connection is one
 * descriptor; the rest is for the process), at most 65,536; 1,024 when the limit is unknown.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync(limitsFile, 'utf8'));
    if (m) return Math.max(64, Math.min(65_536, Math.floor(Number(m[1]) / 2)));
  } catch {
    /* not Linux */
  }
  return 1024;
}

/** Thrown for limits that cannot work. */
export class TcpLimitError extends Error {
  override readonly name = 'TcpLimitError';
  readonly code = 'E_TCP_LIMIT';
}

/** Checks and completes limits (defaults for what is absent). */
export function tcpLimits(o: Partial<TcpLimits> = {}): TcpLimits {
  const l: TcpLimits = { maxConnections: o.maxConnections ?? defaultMaxConnections(), ...DEFAULT_TCP_LIMITS, ...strip(o) };
  for (const [k, v] of Object.entries(l)) if (!Number.isInteger(v) || v < 1) throw new TcpLimitError(`TCP limit ${k} ${v}: expected a positive integer`);
  if (l.minIdleTimeoutMs > l.idleTimeoutMs) l.minIdleTimeoutMs = l.idleTimeoutMs;
  return l;
}

function strip<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What the table knows of one connection; the transport updates the fields. */
export interface TcpConn {
  /** Client address key (IPv4 address, IPv6 /64). */
  readonly key: string;
  /** Last time bytes were read or a reply was taken by the client. */
  lastActive: number;
  /** First byte of the frame being received; 0 when no frame is partial. */
  frameStart: number;
  /** True while replies wait for the client to read them. */
  readonly writing: boolean;
  /** Closes the connection (the transport's destroy). */
  close(): void;
}

/** The client address key of the per-address cap. */
export function addressKey(address: string): string {
  const b = tryParseAddress(address);
  if (!b) return address;
  return b.length === 16 && unmapV4(b).length === 16 ? networkOf(b, 64) : unmapV4Text(address);
}

/** The connection table. */
export class TcpConnectionTable {
  /** In order of last activity, oldest first (re-inserted on activity). */
  private readonly conns = new Set<TcpConn>();
  private readonly byKey = new Map<string, Set<TcpConn>>();

  constructor(readonly limits: TcpLimits, private readonly onClose: (reason: TcpCloseReason) => void, private readonly onRefuse: (reason: TcpRefuseReason, key: string) => void) {}

  get size(): number {
    return this.conns.size;
  }

  /** The idle timeout now: full up to half the cap, then shrinking linearly to the minimum at the cap. */
  idleTimeoutMs(): number {
    const { idleTimeoutMs: hi, minIdleTimeoutMs: lo, maxConnections: max } = this.limits;
    const used = this.conns.size / max;
    if (used <= 0.5) return hi;
    return Math.round(lo + (hi - lo) * Math.max(0, 1 - used) * 2);
  }

  /** A new connection: true when admitted (room made if needed), false when refused. */
  admit(c: TcpConn): boolean {
    const same = this.byKey.get(c.key);
    if (same && same.size >= this.limits.maxPerAddress) {
      const victim = oldestIdle(same, false);
      if (!victim) {
        this.onRefuse('per_address', c.key);
        return false;
      }
      this.evict(victim, 'evicted_per_address');
    }
    if (this.conns.size >= this.limits.maxConnections) {
      const victim = oldestIdle(this.conns, true);
      if (!victim) {
        this.onRefuse('full', c.key);
        return false;
      }
      this.evict(victim, 'evicted_full');
    }
    this.conns.add(c);
    const set = this.byKey.get(c.key) ?? new Set<TcpConn>();
    set.add(c);
    this.byKey.set(c.key, set);
    return true;
  }

  /** The connection was active at `now` (moves it to the young end). */
  touch(c: TcpConn, now: number): void {
    c.lastActive = now;
    if (this.conns.delete(c)) this.conns.add(c);
  }

  /** Forgets a connection that closed. */
  remove(c: TcpConn): void {
    this.conns.delete(c);
    const set = this.byKey.get(c.key);
    if (set) {
      set.delete(c);
      if (set.size === 0) this.byKey.delete(c.key);
    }
  }

  /** Closes what timed out at `now`: frames older than the message timeout, connections idle past the idle timeout. */
  sweep(now: number): void {
    const idle = this.idleTimeoutMs();
    const msg = this.limits.messageTimeoutMs;
    for (const c of [...this.conns]) {
      if (c.frameStart > 0 && now - c.frameStart > msg) this.evict(c, 'message_timeout');
      // A connection in the middle of a frame is governed by the message timeout alone: the idle
      // timeout (down to 1 s near the cap) would otherwise cut a slow but legitimate frame short.
      else if (c.frameStart === 0 && now - c.lastActive > idle) this.evict(c, 'idle');
    }
  }

  /** Closes every connection (server shutdown; not counted). */
  closeAll(): void {
    for (const c of [...this.conns]) {
      this.remove(c);
      c.close();
    }
  }

  private evict(c: TcpConn, reason: TcpCloseReason): void {
    this.remove(c);
    this.onClose(reason);
    c.close();
  }
}

/**
 * The connection idle longest (no partial frame, no replies waiting), if any. In a set `ordered`
 * by activity (the table's) that is the first idle one.
 */
function oldestIdle(conns: Set<TcpConn>, ordered: boolean): TcpConn | undefined {
  let best: TcpConn | undefined;
  for (const c of conns) {
    if (c.frameStart !== 0 || c.writing) continue;
    if (ordered) return c;
    if (!best || c.lastActive < best.lastActive) best = c;
  }
  return best;
}
