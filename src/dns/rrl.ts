/**
 * Response rate limiting (RRL) as Knot and BIND define it: a token bucket per (client prefix,
 * response class). A bucket holds at most `ratePerSecond` tokens and refills at that rate; a
 * reply takes one token. A reply without a token is limited: every `slip`-th limited reply of
 * a bucket is sent short with TC=1 (a real client retries over TCP; 0 never, 1 always) and the
 * others are dropped. TCP is never limited (the transport calls this for UDP only).
 *
 * The buckets live in a fixed-size open-addressed table (typed arrays, no allocation per
 * query): a bucket is found in at most PROBES slots; a new one takes a free slot there or the one
 * touched longest ago. Memory is bounded by the table size, whatever the traffic. Pure: time is
 * passed in.
 */
import { ipv4Number, parseAddress, unmapV4 } from '../util/ip';

/** What to do with a reply. */
export const RRL = { SEND: 0, DROP: 1, SLIP: 2 } as const;
export type RrlVerdict = (typeof RRL)[keyof typeof RRL];

/** Response classes with their own buckets (RFC-less, as Knot/BIND: answers, NXDOMAIN, errors). */
export const RESPONSE_CLASS = { ANSWER: 1, NXDOMAIN: 2, ERROR: 3 } as const;

/** Options of the limiter. */
export interface RrlOptions {
  /** Replies per second per (prefix, class) bucket; also the bucket size (1 s of burst). */
  ratePerSecond: number;
  /** Every slip-th limited reply is sent with TC=1 (0: drop all, 1: slip all). Default 2. */
  slip?: number;
  /** Client prefix lengths (default /24 and /56). */
  ipv4Prefix?: number;
  ipv6Prefix?: number;
  /** Buckets kept (a power of two; default 65,536, about 1.8 MB). */
  tableSize?: number;
}

export const DEFAULT_RRL_SLIP = 2;
export const DEFAULT_RRL_IPV4_PREFIX = 24;
export const DEFAULT_RRL_IPV6_PREFIX = 56;
export const DEFAULT_RRL_TABLE = 1 << 16;
const PROBES = 4;

/** Thrown for options that cannot work (zero rate, prefix out of range). */
export class RrlOptionError extends Error {
  override readonly name = 'RrlOptionError';
  readonly code = 'E_RRL_OPTION';
}

/** FNV-1a over a string's char codes, for response-class tokens (qname keys, zone names). */
export function tokenOf(cls: number, text: string, qtype = 0): number {
  let h = Math.imul(0x811c9dc5 ^ cls, 0x01000193) ^ qtype;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit avalanche (murmur3 finaliser). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The limiter: `check()` per UDP reply. */
export class ResponseRateLimiter {
  readonly rate: number;
  /** Tokens added per millisecond. */
  private readonly perMs: number;
  readonly slip: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  private readonly mask: number;
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly tokens: Float64Array;
  private readonly stamp: Float64Array;
  private readonly limited: Int32Array;
  /** Hashes of the last client's prefix (UDP floods repeat the same source). */
  private lastAddress = '';
  private lastA = 0;
  private lastB = 0;

  constructor(o: RrlOptions) {
    if (!(o.ratePerSecond > 0) || !Number.isFinite(o.ratePerSecond)) throw new RrlOptionError(`RRL rate ${o.ratePerSecond}: expected replies per second > 0`);
    this.rate = o.ratePerSecond;
    this.perMs = o.ratePerSecond / 1000;
    this.slip = o.slip ?? DEFAULT_RRL_SLIP;
    if (!Number.isInteger(this.slip) || this.slip < 0 || this.slip > 10) throw new RrlOptionError(`RRL slip ${this.slip}: expected 0..10`);
    this.ipv4Prefix = o.ipv4Prefix ?? DEFAULT_RRL_IPV4_PREFIX;
    this.ipv6Prefix = o.ipv6Prefix ?? DEFAULT_RRL_IPV6_PREFIX;
    if (!Number.isInteger(this.ipv4Prefix) || this.ipv4Prefix < 8 || this.ipv4Prefix > 32) throw new RrlOptionError(`RRL IPv4 prefix ${this.ipv4Prefix}: expected 8..32`);
    if (!Number.isInteger(this.ipv6Prefix) || this.ipv6Prefix < 16 || this.ipv6Prefix > 128) throw new RrlOptionError(`RRL IPv6 prefix ${this.ipv6Prefix}: expected 16..128`);
    const size = o.tableSize ?? DEFAULT_RRL_TABLE;
    if (!Number.isInteger(Math.log2(size)) || size < 16) throw new RrlOptionError(`RRL table size ${size}: expected a power of two ≥ 16`);
    this.mask = size - 1;
    this.keyA = new Int32Array(size);
    this.keyB = new Int32Array(size);
    this.tokens = new Float64Array(size);
    this.stamp = new Float64Array(size).fill(-Infinity);
    this.limited = new Int32Array(size);
  }

  /** Two independent 32-bit hashes of the client's prefix into lastA/lastB. */
  private prefixOf(address: string): void {
    if (address === this.lastAddress) return;
    let a = 0x9747b28c;
    let b = 0x1b873593;
    const v4 = v4Of(address);
    if (v4 !== undefined) {
      const p = this.ipv4Prefix;
      const net = p === 32 ? v4 : (v4 & ~(0xffffffff >>> p)) >>> 0;
      a = mix(a ^ net);
      b = mix(b ^ Math.imul(net, 0x2545f491));
    } else {
      let bytes: Buffer;
      try {
        bytes = unmapV4(parseAddress(address));
      } catch {
        bytes = Buffer.from(address, 'latin1');
      }
      const bits = bytes.length === 4 ? this.ipv4Prefix : this.ipv6Prefix;
      for (let i = 0; i < bytes.length; i++) {
        const keep = Math.max(0, Math.min(8, bits - i * 8));
        const byte = bytes[i] & ((0xff00 >> keep) & 0xff);
        a = mix(a ^ byte ^ (i << 8));
        b = mix(Math.imul(b, 31) ^ byte ^ (i << 16));
      }
    }
    this.lastAddress = address;
    this.lastA = a | 0;
    this.lastB = b | 0;
  }

  /** The prefix `address` is counted under, as text (for logs and tests). */
  prefixText(address: string): string {
    const v4 = v4Of(address);
    if (v4 !== undefined) {
      const net = this.ipv4Prefix === 32 ? v4 : (v4 & ~(0xffffffff >>> this.ipv4Prefix)) >>> 0;
      return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${this.ipv4Prefix}`;
    }
    return `${address}/${this.ipv6Prefix}`;
  }

  /**
   * Accounts one UDP reply of response class token `token` (tokenOf) to the client `address`
   * at `nowMs`; says whether to send it, drop it, or send it short with TC=1.
   */
  check(address: string, token: number, nowMs: number): RrlVerdict {
    this.prefixOf(address);
    const ka = (this.lastA ^ mix(token)) | 0;
    const kb = (this.lastB ^ Math.imul(token | 1, 0x27d4eb2d)) | 0;
    const mask = this.mask;
    let slot = -1;
    let oldest = -1;
    let oldestStamp = Infinity;
    for (let i = 0, idx = ka & mask; i < PROBES; i++, idx = (idx + 1) & mask) {
      if (this.keyA[idx] === ka && this.keyB[idx] === kb && this.stamp[idx] !== -Infinity) {
        slot = idx;
        break;
      }
      if (this.stamp[idx] < oldestStamp) {
        oldestStamp = this.stamp[idx];
        oldest = idx;
      }
    }
    if (slot < 0) {
      // A new bucket starts full, in a free slot or the one touched longest ago.
      slot = oldest;
      this.keyA[slot] = ka;
      this.keyB[slot] = kb;
      this.tokens[slot] = this.rate;
      this.limited[slot] = 0;
    } else {
      const elapsed = nowMs - this.stamp[slot];
      if (elapsed > 0) {
        const t = this.tokens[slot] + elapsed * this.perMs;
        this.tokens[slot] = t < this.rate ? t : this.rate;
      }
    }
    this.stamp[slot] = nowMs;
    if (this.tokens[slot] >= 1) {
      this.tokens[slot] -= 1;
      return RRL.SEND;
    }
    const n = ++this.limited[slot];
    return this.slip > 0 && n % this.slip === 0 ? RRL.SLIP : RRL.DROP;
  }
}

/** Dotted-quad text (or IPv4-mapped IPv6 text, as dual-stack sockets report) as a number. */
function v4Of(address: string): number | undefined {
  if (address.charCodeAt(0) !== 0x3a) return ipv4Number(address);
  return address.startsWith('::ffff:') && address.includes('.') ? ipv4Number(address.slice(7)) : undefined;
}
