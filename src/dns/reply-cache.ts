/**
 * Replies by query bytes: a UDP query whose bytes after the ID were seen before gets the reply
 * made for them, with its ID copied in, without being parsed again. Everything that shapes a
 * reply (flags, question and its letter case, EDNS size, DO, ECS, NSID) is in those bytes; the
 * engine adds only queries it answered in full (no errors) and drops the cache on every update.
 * Dynamic names keep their DynamicSelection and one encoded reply per distinct answer, so each
 * query still gets its own draw. Pure data structure: no networking.
 */
import type { DynamicAnswer, DynamicSelection } from './dynamic';

/** Bound on kept replies, per-address ones included (all are dropped when full, as in the response cache). */
export const REPLY_CACHE_LIMIT = 20_000;
/** Bound on querying addresses per dynamic query without ECS. */
export const ADDRESS_LIMIT = 1024;
/** Longest query kept (bigger ones are unusual: cookies, padding). */
export const MAX_KEYED_QUERY = 512;

/**
 * Longest ECS source prefixes whose replies are kept: RFC 7871 §11.1 has resolvers send at most
 * /24 (IPv4) and /56 (IPv6). A longer prefix names a host (a stub, or a flood of made-up
 * clients); its reply bytes carry that host's address, so keeping them would only churn the
 * cache: such queries are answered in full every time (per-network plans make that cheap).
 */
export const KEPT_ECS_PREFIX = { 1: 24, 2: 56 } as const;

/** True when a query with this ECS option (or none) may be kept. */
export function keepsEcs(ecs: { family: 1 | 2; sourcePrefix: number } | undefined): boolean {
  return ecs === undefined || ecs.sourcePrefix <= KEPT_ECS_PREFIX[ecs.family];
}

/**
 * True when the query `msg[start, end)` ends with an ECS option (RFC 7871 §6: code 8, length,
 * FAMILY, SOURCE, SCOPE, ADDRESS of ceil(SOURCE / 8) bytes) whose source prefix names one host.
 * Such a query is never kept (`keepsEcs`), so looking it up would only cost a hash and a miss.
 * A look at the last bytes only: any other layout is looked up as usual, and a wrong guess
 * costs a miss, never a wrong reply.
 */
export function endsWithHostEcs(msg: Uint8Array, start = 0, end = msg.length): boolean {
  // ADDRESS lengths of host prefixes only: 4 (IPv4 /25–/32) and 8–16 (IPv6 /57–/128); the
  // option code's low byte right after the bounds check, the test that fails at once for most other layouts.
  for (let len = 4; len <= 16; len = len === 4 ? 8 : len + 1) {
    const o = end - 8 - len;
    if (o < start + 12 || msg[o + 1] !== 8 || msg[o + 3] !== 4 + len || msg[o] !== 0 || msg[o + 2] !== 0 || msg[o + 4] !== 0) continue;
    const family = msg[o + 5];
    const source = msg[o + 6];
    if ((family !== 1 && family !== 2) || (source + 7) >> 3 !== len || source > (family === 1 ? 32 : 128)) continue;
    if (source > KEPT_ECS_PREFIX[family]) return true;
  }
  return false;
}

/** A reply that does not depend on the client. */
export interface FixedReply {
  kind: 'fixed';
  /** The query's bytes after the ID (what the hash key stands for). */
  query: Uint8Array;
  bytes: Buffer;
  qtype: number;
  rcode: number;
  truncated: boolean;
  /** Response-class token of the rate limiter (rrl.ts tokenOf), 0 when it is off. */
  rrl: number;
}

/** A dynamic name's replies for one client context: encoded bytes per answer of its selection. */
export interface DrawnReply {
  kind: 'drawn';
  /** The query's bytes after the ID (per-address replies: those of their ByAddress entry). */
  query: Uint8Array;
  selection: DynamicSelection;
  /** The first answer kept and its reply (most selections have one answer only). */
  answer: DynamicAnswer;
  bytes: Buffer;
  /** Replies of further answers. */
  more?: Map<DynamicAnswer, Buffer>;
  qtype: number;
  /** Response-class token of the rate limiter, 0 when it is off. */
  rrl: number;
}

/** The kept reply for `answer` drawn from `e`'s selection, if any. */
export function drawnBytes(e: DrawnReply, answer: DynamicAnswer): Buffer | undefined {
  return e.answer === answer ? e.bytes : e.more?.get(answer);
}

/** Dynamic replies that depend on the querying address (no ECS in the query). */
interface ByAddress {
  kind: 'by-address';
  query: Uint8Array;
  byAddress: Map<string, DrawnReply>;
}

type Entry = FixedReply | DrawnReply | ByAddress;

/** Bytes of one slab that kept replies are copied into (one allocation for many replies). */
const SLAB_SIZE = 64 * 1024;
/** Bits of the admission filter, and how many queries it sees before it starts afresh. */
const SEEN_BITS = 1 << 20;
const SEEN_LIMIT = 1 << 17;

/**
 * FNV-1a of the query bytes after the ID, `msg[start + 2, end)`: the reply cache's key (its
 * entries hold the bytes, compared on every hit, so a collision costs a miss, never a wrong
 * reply) and the admission filter's (a collision only admits a query one sighting early).
 */
export function hashQuery(msg: Uint8Array, start = 0, end = msg.length): number {
  let h = 0x811c9dc5;
  for (let i = start + 2; i < end; i++) h = Math.imul(h ^ msg[i], 0x01000193);
  return h >>> 0;
}

/** True when `kept` holds the bytes of `msg[start + 2, end)`. */
function sameQuery(kept: Uint8Array, msg: Uint8Array, start: number, end: number): boolean {
  if (kept.length !== end - start - 2) return false;
  for (let i = 0, j = start + 2; j < end; i++, j++) if (kept[i] !== msg[j]) return false;
  return true;
}

/**
 * The bounded map from query bytes to replies, keyed by their hash (no key string per query).
 * A query is kept the second time it is answered in full, so a stream of one-off queries (every
 * client new) costs a hash per query and leaves the kept ones in place. Kept replies and the
 * query bytes they answer are copied into shared slabs, dropped with the entries.
 */
export class ReplyCache {
  private entries = new Map<number, Entry>();
  /** Replies kept, per-address ones included: what the bound counts. */
  private stored = 0;
  private seen = new Uint8Array(SEEN_BITS >> 3);
  private seenCount = 0;
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
  private slabUsed = 0;

  /** True the second time `msg` (bytes after the ID) is offered; remembers it the first time. */
  admit(msg: Uint8Array, hash = hashQuery(msg)): boolean {
    const h = hash & (SEEN_BITS - 1);
    const bit = 1 << (h & 7);
    if (this.seen[h >> 3] & bit) return true;
    if (++this.seenCount > SEEN_LIMIT) {
      this.seen.fill(0);
      this.seenCount = 1;
    }
    this.seen[h >> 3] |= bit;
    return false;
  }

  /** Starts a fresh slab: the old ones go with the entries that used them. */
  private newSlab(): void {
    this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    this.slabUsed = 0;
  }

  /** A copy of `bytes[from, to)` in the current slab (not in Node's shared pool, which it would keep alive). */
  private own(bytes: Uint8Array, from = 0, to = bytes.length): Buffer {
    const n = to - from;
    if (n > SLAB_SIZE) return Buffer.from(bytes.subarray(from, to));
    if (this.slabUsed + n > SLAB_SIZE) this.newSlab();
    const b = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    b.set(bytes.subarray(from, to));
    this.slabUsed += n;
    return b;
  }

  /** The key of the query `msg[start, end)` (hashQuery), or -1 when it is not kept. */
  key(msg: Uint8Array, start = 0, end = msg.length): number {
    const n = end - start;
    if (n <= 12 || n > MAX_KEYED_QUERY || endsWithHostEcs(msg, start, end)) return -1;
    return hashQuery(msg, start, end);
  }

  /** The entry for the query `msg[start, end)` with key `key`, from `address`. */
  get(key: number, msg: Uint8Array, start: number, end: number, address: string): FixedReply | DrawnReply | undefined {
    const e = this.entries.get(key);
    if (!e || !sameQuery(e.query, msg, start, end)) return undefined;
    return e.kind === 'by-address' ? e.byAddress.get(address) : e;
  }

  /** Keeps a client-independent reply to `msg` (key `key`). */
  setFixed(key: number, msg: Uint8Array, reply: Uint8Array, qtype: number, rcode: number, truncated: boolean, rrl = 0): void {
    this.put(key, { kind: 'fixed', query: this.own(msg, 2), bytes: this.own(reply), qtype, rcode, truncated, rrl });
  }

  /**
   * Keeps `reply` to `msg` (key `key`) as the encoding of `answer` under `selection`, in `into`
   * when the query was answered from that entry already, else in a new entry (per querying
   * address when `byAddress`).
   */
  setDrawn(key: number, msg: Uint8Array, address: string, byAddress: boolean, selection: DynamicSelection, answer: DynamicAnswer, reply: Uint8Array, qtype: number, into?: DrawnReply, rrl = 0): void {
    if (into) {
      // Further answers of one selection: at most one per outcome, bounded by the members.
      (into.more ??= new Map()).set(answer, this.own(reply));
      return;
    }
    const e = byAddress ? this.entries.get(key) : undefined;
    if (e?.kind !== 'by-address' || !sameQuery(e.query, msg, 0, msg.length) || this.full()) {
      const query = this.own(msg, 2);
      const drawn: DrawnReply = { kind: 'drawn', query, selection, answer, bytes: this.own(reply), qtype, rrl };
      this.put(key, byAddress ? { kind: 'by-address', query, byAddress: new Map([[address, drawn]]) } : drawn);
      return;
    }
    if (e.byAddress.size >= ADDRESS_LIMIT) {
      this.stored -= e.byAddress.size;
      e.byAddress.clear();
    }
    e.byAddress.set(address, { kind: 'drawn', query: e.query, selection, answer, bytes: this.own(reply), qtype, rrl });
    this.stored++;
  }

  /** Forgets a query's entry (its selection is out of date). */
  delete(key: number, address: string): void {
    const e = this.entries.get(key);
    const gone = e?.kind === 'by-address' ? e.byAddress.delete(address) : this.entries.delete(key);
    if (gone) this.stored--;
  }

  /** Drops everything (new data). */
  clear(): void {
    this.entries = new Map();
    this.stored = 0;
    this.newSlab();
  }

  /** Replies kept (per-address ones included). */
  get size(): number {
    return this.stored;
  }

  private full(): boolean {
    return this.stored >= REPLY_CACHE_LIMIT;
  }

  /** Sets the entry of `key`, replacing what a colliding query had there. */
  private put(key: number, e: Entry): void {
    if (this.full()) this.clear();
    const old = this.entries.get(key);
    if (old) this.stored -= old.kind === 'by-address' ? old.byAddress.size : 1;
    this.entries.set(key, e);
    this.stored++;
  }
}

/**
 * Writes `template` into `out` at `at` with the ID of the query at `msg[start]`; returns its
 * length (the caller made room for it).
 */
export function writeWithId(template: Uint8Array, msg: Uint8Array, start: number, out: Uint8Array, at: number): number {
  out.set(template, at);
  out[at] = msg[start];
  out[at + 1] = msg[start + 1];
  return template.length;
}

/** `template` with the ID of `msg`. */
export function withId(template: Buffer, msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(template.length);
  out.set(template);
  out[0] = msg[0];
  out[1] = msg[1];
  return out;
}
