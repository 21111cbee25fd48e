/**
 * Replies by query bytes: a UDP query whose bytes after the ID were seen before gets the reply
 * made for them, with its ID copied in, without being parsed again. Everything that shapes a
 * reply (flags, question and its letter case, EDNS size, DO, ECS, NSID) is in those bytes; the
 * engine adds only queries it answered in full (no errors) and drops the cache on every update.
 * Dynamic names keep their DynamicSelection and one encoded reply per distinct answer, so each
 * query still gets its own draw. Pure data structure: no networking.
 */
import type { DynamicAnswer, DynamicSelection } from './dynamic';
import type { LatinSlicer } from './wire/query';

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
 * True when `msg` ends with an ECS option (RFC 7871 §6: code 8, length, FAMILY, SOURCE, SCOPE,
 * ADDRESS of ceil(SOURCE / 8) bytes) whose source prefix names one host. Such a query is never
 * kept (`keepsEcs`), so looking it up would only cost a key string and a miss. A look at the
 * last bytes only: any other layout is looked up as usual, and a wrong guess costs a miss, never
 * a wrong reply.
 */
export function endsWithHostEcs(msg: Buffer): boolean {
  const n = msg.length;
  for (let len = 4; len <= 16; len++) {
    const o = n - 8 - len;
    if (o < 12 || msg[o] !== 0 || msg[o + 1] !== 8 || msg[o + 2] !== 0 || msg[o + 3] !== 4 + len || msg[o + 4] !== 0) continue;
    const family = msg[o + 5];
    const source = msg[o + 6];
    if ((family !== 1 && family !== 2) || Math.ceil(source / 8) !== len || source > (family === 1 ? 32 : 128)) continue;
    if (source > KEPT_ECS_PREFIX[family]) return true;
  }
  return false;
}

/** A reply that does not depend on the client. */
export interface FixedReply {
  kind: 'fixed';
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
  byAddress: Map<string, DrawnReply>;
}

type Entry = FixedReply | DrawnReply | ByAddress;

/** Bytes of one slab that kept replies are copied into (one allocation for many replies). */
const SLAB_SIZE = 64 * 1024;
/** Bits of the admission filter, and how many queries it sees before it starts afresh. */
const SEEN_BITS = 1 << 20;
const SEEN_LIMIT = 1 << 17;

/**
 * FNV-1a of the query bytes after the ID. The admission filter remembers hashes, not keys:
 * a collision only admits a query one sighting early.
 */
function hashQuery(msg: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 2; i < msg.length; i++) h = Math.imul(h ^ msg[i], 0x01000193);
  return h >>> 0;
}

/**
 * The bounded map from query bytes to replies. A query is kept the second time it is answered
 * in full, so a stream of one-off queries (every client new) costs a hash per query and leaves
 * the kept ones in place. Kept replies are copied into shared slabs, dropped with the entries.
 */
export class ReplyCache {
  private entries = new Map<string, Entry>();
  /** Replies kept, per-address ones included: what the bound counts. */
  private stored = 0;
  private seen = new Uint8Array(SEEN_BITS >> 3);
  private seenCount = 0;
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
  private slabUsed = 0;

  /** True the second time `msg` (bytes after the ID) is offered; remembers it the first time. */
  admit(msg: Buffer): boolean {
    const h = hashQuery(msg) & (SEEN_BITS - 1);
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

  /** A copy of `bytes` in the current slab (not in Node's shared pool, which it would keep alive). */
  private own(bytes: Buffer): Buffer {
    if (bytes.length > SLAB_SIZE) return Buffer.from(bytes);
    if (this.slabUsed + bytes.length > SLAB_SIZE) this.newSlab();
    const b = this.slab.subarray(this.slabUsed, this.slabUsed + bytes.length);
    b.set(bytes);
    this.slabUsed += bytes.length;
    return b;
  }

  /** The key of a query: its bytes after the ID, or undefined when it is not kept. */
  key(msg: Buffer): string | undefined {
    if (msg.length <= 12 || msg.length > MAX_KEYED_QUERY || endsWithHostEcs(msg)) return undefined;
    return (msg as LatinSlicer).latin1Slice(2, msg.length);
  }

  /** The entry for a query from `address`. */
  get(key: string, address: string): FixedReply | DrawnReply | undefined {
    const e = this.entries.get(key);
    return e?.kind === 'by-address' ? e.byAddress.get(address) : e;
  }

  /** Keeps a client-independent reply. */
  setFixed(key: string, reply: Buffer, qtype: number, rcode: number, truncated: boolean, rrl = 0): void {
    this.put(key, { kind: 'fixed', bytes: this.own(reply), qtype, rcode, truncated, rrl });
  }

  /**
   * Keeps `reply` as the encoding of `answer` under `selection`, in `into` when the query was
   * answered from that entry already, else in a new entry (per querying address when `byAddress`).
   */
  setDrawn(key: string, address: string, byAddress: boolean, selection: DynamicSelection, answer: DynamicAnswer, reply: Buffer, qtype: number, into?: DrawnReply, rrl = 0): void {
    if (into) {
      // Further answers of one selection: at most one per outcome, bounded by the members.
      (into.more ??= new Map()).set(answer, this.own(reply));
      return;
    }
    const drawn: DrawnReply = { kind: 'drawn', selection, answer, bytes: this.own(reply), qtype, rrl };
    const e = byAddress ? this.entries.get(key) : undefined;
    if (e?.kind !== 'by-address' || this.full()) {
      this.put(key, byAddress ? { kind: 'by-address', byAddress: new Map([[address, drawn]]) } : drawn);
      return;
    }
    if (e.byAddress.size >= ADDRESS_LIMIT) {
      this.stored -= e.byAddress.size;
      e.byAddress.clear();
    }
    e.byAddress.set(address, drawn);
    this.stored++;
  }

  /** Forgets a query's entry (its selection is out of date). */
  delete(key: string, address: string): void {
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

  private put(key: string, e: Entry): void {
    if (this.full()) this.clear();
    this.entries.set(key, e);
    this.stored++;
  }
}

/** `template` with the ID of `msg`. */
export function withId(template: Buffer, msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(template.length);
  out.set(template);
  out[0] = msg[0];
  out[1] = msg[1];
  return out;
}
