/**
 * The query engine shared by the UDP and TCP transports: the reply cache by query bytes (UDP),
 * parse (fast path), dynamic answer or response cache, resolve and encode on a miss. One call
 * per message; never throws.
 *
 * Measured design evidence (`npm run bench:dns`: dnsperf on cpu 0, each server alone on cpu 1,
 * 2-core VM shared with other work, 2026-11-25): the minimal raw Node UDP responder (copy the
 * query, append a fixed answer, no parsing) answered 190–201k q/s; this engine 173–183k q/s
 * (0.86–0.93× — 0.86 before the hit path lost its string-built cache key and Map-based
 * counters); the dns2 server 13.7–14.6k q/s (0.07×). The design team measured a full dns-packet
 * decode+encode per query at ~0.79× of raw. Hence the hand-written parser (wire/query.ts) and
 * the per-name cache of encoded replies patched per query (ID, RD/CD, 0x20 question bytes,
 * ECS); dns-packet still encodes RDATA on cache misses, once per record (wire/writer.ts).
 * `npm run bench:gslb` (2026-11-25): with the datacenter pick asked per query, anypick answered
 * 0.73× the raw responder; keeping the pick's selection per query bytes (reply-cache.ts) and
 * drawing from it gives 0.95–0.99× (bench/gslb/README.md).
 */
import type { Logger } from '../util/log';
import { formatAddress as formatIpAddress } from '../util/ip';
import { rrTypeMetricLabel, rrTypeName } from '../rrtype/registry';
import type { ClientInfo } from './dynamic';
import { DnsCounters } from './counters';
import { LatencyHistogram } from './latency';
import { resolve } from './resolve';
import { signPlan } from './sign-plan';
import type { ReplyPlan } from './resolve';
import type { DataSet, DynamicName } from './store';
import { CLASS_IN, OPTION, RCODE, RCODE_NAMES } from './wire/constants';
import { RESPONSE_CLASS, RRL, tokenOf } from './rrl';
import { ecsOptionLength, formatAddress } from './wire/ecs';
import { foldedNameHash, sameFoldedName, wireNameToText } from './wire/name';
import { parseQuery } from './wire/query';
import type { ParsedQuery } from './wire/query';
import { encodeReply, errorReply, patchCached } from './wire/reply';
import { encodeDynamicReply, writeDynamicReply } from './wire/dynamic-reply';
import type { DynamicAnswer } from './dynamic';
import type { EncodedReply } from './wire/reply';
import { MAX_MESSAGE } from './wire/writer';
import { appendNsid } from './wire/nsid';
import { EDE, optRdataLength } from './wire/ede';
import { KEPT_ECS_PREFIX, ReplyCache, drawnBytes, keepsEcs, writeWithId } from './reply-cache';
import type { DrawnReply } from './reply-cache';
import type { DynamicSelection } from './dynamic';
import { ReplyGuard } from './guard';
import type { CookieReply, GuardOptions } from './guard';

/** Default largest UDP reply (DNS Flag Day 2020 value). */
export const DEFAULT_MAX_UDP = 1232;
/** Bound on cached replies; the cache is dropped when full (and on every update). */
export const CACHE_LIMIT = 50_000;

/** One cached reply; a name's entries differ by QTYPE, QCLASS and framing variant. */
interface CacheEntry {
  qtype: number;
  qclass: number;
  /** (size limit without ECS << 3) | TCP | EDNS << 1 | DO << 2. */
  variant: number;
  reply: EncodedReply;
  rcode: number;
}

/** QTYPE mnemonic from the RR-type registry ('A', 'HTTPS', 'TYPE65000' for unnamed codes). */
export const qtypeName = rrTypeName;

/** QTYPEs answered before any lookup: OPT (41), IXFR/AXFR (251/252), MAILB/MAILA (253/254). */
const SPECIAL_QTYPES = new Set([41, 251, 252, 253, 254]);

/** How the reply to the query being answered may be kept by the ReplyCache (set by answer()). */
type Learned =
  | { kind: 'fixed'; qtype: number; rcode: number; truncated: boolean }
  | { kind: 'drawn'; qtype: number; selection: DynamicSelection; answer: DynamicAnswer; byAddress: boolean };

/** An answer drawn from a kept selection whose reply is not encoded yet. */
interface Redraw {
  entry: DrawnReply;
  answer: DynamicAnswer;
}

/**
 * The ECS option of a query as a responder sees it (ClientInfo.ecs), reused from query to query:
 * ADDRESS bytes copied from the message, the address text made only when asked for.
 */
class EcsView {
  family: 1 | 2 = 1;
  sourcePrefix = 0;
  bytes: Uint8Array;
  private readonly store = new Uint8Array(16);
  /** store.subarray(0, n) for each n: the exact ADDRESS length without a view per query. */
  private readonly views: Uint8Array[] = [];
  private text: string | undefined;

  constructor() {
    for (let n = 0; n <= 16; n++) this.views.push(this.store.subarray(0, n));
    this.bytes = this.views[0];
  }

  /** Takes FAMILY, SOURCE and ceil(SOURCE / 8) ADDRESS bytes at `buf[at]`. */
  set(family: 1 | 2, source: number, buf: Uint8Array, at: number): void {
    const n = (source + 7) >> 3;
    this.family = family;
    this.sourcePrefix = source;
    const store = this.store;
    for (let i = 0; i < n; i++) store[i] = buf[at + i];
    for (let i = n; i < 16; i++) store[i] = 0;
    this.bytes = this.views[n];
    this.text = undefined;
  }

  /** The prefix as address text, host bits zero ('10.1.0.0', '2001:db8::'). */
  get address(): string {
    return (this.text ??= formatIpAddress(this.family === 1 ? this.store.subarray(0, 4) : this.store));
  }
}

/** Per-query context from the transport. */
export interface QueryContext {
  tcp: boolean;
  address: string;
  family: 4 | 6;
  /** TCP: the connection's idle timeout now, sent to queries asking with edns-tcp-keepalive (RFC 7828). */
  keepaliveMs?: number;
}

/** Options of the engine. */
export interface EngineOptions {
  logger: Logger;
  queryLog?: boolean;
  maxUdpSize?: number;
  /** This node's NSID (RFC 5001), sent to queries that ask for it. */
  nsid?: string;
  /** Response rate limiting (UDP) and server cookies; both off when absent (guard.ts). */
  guard?: GuardOptions;
}

/** Answers DNS messages from the current DataSet. */
export class DnsEngine {
  readonly counters = new DnsCounters();
  /** UDP processing time (the transports time each engine call). */
  readonly latency = new LatencyHistogram();
  private cache = new Map<string, CacheEntry[]>();
  private cached = 0;
  private readonly maxUdp: number;
  private readonly nsid?: Buffer;
  /** UDP replies by query bytes; off with the query log (it logs every query in full). */
  private readonly replies?: ReplyCache;
  /** What answer() found out about keeping the current reply. */
  private learned: Learned | undefined;
  /** Cookies and rate limiting of replies. */
  readonly guard: ReplyGuard;
  /** RCODE of the reply just counted (the rate limiter's response class). */
  private lastRcode = 0;
  /** Where `handle` has UDP replies written before copying them out. */
  private readonly scratch = Buffer.allocUnsafeSlow(MAX_MESSAGE);
  /** The client of a query on the allocation-free dynamic path (responders do not keep it). */
  private readonly fastClient: ClientInfo = { address: '', family: 4 };
  private readonly fastEcs = new EcsView();
  /** The dynamic name last answered by dynamicAt, and the data set it belongs to. */
  private lastDynamic: { set: DataSet; name: DynamicName } | undefined;
  /** Key state of the signed zones when the caches were last flushed (refreshSigned). */
  private signedEpoch = '';
  private signedFlushAt = 0;

  constructor(private data: DataSet, private readonly opts: EngineOptions) {
    this.maxUdp = Math.max(512, Math.min(opts.maxUdpSize ?? DEFAULT_MAX_UDP, MAX_MESSAGE));
    if (opts.nsid) this.nsid = Buffer.from(opts.nsid, 'utf8');
    if (!opts.queryLog) this.replies = new ReplyCache();
    this.guard = new ReplyGuard(this.counters, opts.guard ?? {});
  }

  /** Swaps the data set atomically and drops the response cache. */
  update(data: DataSet): void {
    this.data = data;
    this.cache = new Map();
    this.cached = 0;
    this.replies?.clear();
  }

  /** Handles one message; returns the reply bytes, or undefined to drop it. */
  handle(msg: Buffer, ctx: QueryContext): Buffer | undefined {
    if (ctx.tcp) {
      this.counters.tcp++;
      return this.full(msg, ctx, -1);
    }
    // The dgram path sends the reply asynchronously: its own copy of what answerAt wrote.
    const n = this.answerAt(msg, 0, msg.length, ctx, this.scratch, 0);
    if (n === 0) return undefined;
    const out = Buffer.allocUnsafe(n);
    this.scratch.copy(out, 0, 0, n);
    return out;
  }

  /**
   * Answers the UDP query `buf[start, end)` into `out` at `at`, which must have MAX_MESSAGE bytes
   * of room; returns the reply's length, 0 for no reply. Kept replies and first-seen clients of
   * a dynamic name are answered without allocating; anything else goes through `handle`'s
   * general path and is copied in.
   */
  answerAt(buf: Buffer, start: number, end: number, ctx: QueryContext, out: Buffer, at: number): number {
    this.counters.udp++;
    const replies = this.replies;
    let key = -1;
    /** An answer drawn from a kept selection whose reply is not encoded yet. */
    let redraw: Redraw | undefined;
    if (replies) {
      key = replies.key(buf, start, end);
      if (key >= 0) {
        const e = replies.get(key, buf, start, end, ctx.address);
        if (e?.kind === 'fixed') {
          this.counters.replyCacheHits++;
          this.counters.cacheHits++;
          this.counters.reply(e.qtype, e.rcode);
          if (e.truncated) this.counters.truncated++;
          return this.limited(writeWithId(e.bytes, buf, start, out, at), buf, start, end, e.rrl, ctx, out, at);
        }
        if (e && e.selection.current()) {
          const answer = e.selection.draw();
          const t = drawnBytes(e, answer);
          if (t) {
            this.counters.replyCacheHits++;
            this.counters.reply(e.qtype, RCODE.NOERROR);
            return this.limited(writeWithId(t, buf, start, out, at), buf, start, end, e.rrl, ctx, out, at);
          }
          redraw = { entry: e, answer }; // a first for this answer: encoded below, then kept
        } else if (e) {
          replies.delete(key, ctx.address);
        }
      }
      if (redraw === undefined && this.data.dynamicByHash.size > 0) {
        const n = this.dynamicAt(buf, start, end, ctx, out, at, key);
        if (n >= 0) return n;
      }
    }
    const reply = this.full(buf.subarray(start, end), ctx, key, redraw);
    if (reply === undefined) return 0;
    out.set(reply, at);
    return reply.length;
  }

  /** The rate limiter's verdict on the reply of `n` bytes at `out[at]` (a copy in place when it is cut short); 0 to drop. */
  private limited(n: number, buf: Buffer, start: number, end: number, token: number, ctx: QueryContext, out: Buffer, at: number): number {
    if (!this.guard.rrl) return n;
    const verdict = this.guard.verdict(token, ctx.address);
    if (verdict === RRL.SEND) return n;
    const reply = out.subarray(at, at + n);
    const r = this.guard.limitedReply(verdict, reply, buf.subarray(start, end), ctx.address, undefined, undefined, this.maxUdp);
    if (r === undefined) return 0;
    if (r !== reply) out.set(r, at);
    return r.length;
  }

  /**
   * A dynamic name's query of the common shape, read straight from the bytes and answered
   * straight into `out`: QUERY opcode, one question of type A or AAAA class IN, no answer or
   * authority records, and either no additional record or one OPT (version 0) holding nothing
   * or one valid ECS option. The reply is the general path's, byte for byte, and is kept by the
   * reply cache alike; -1 (nothing done) for any other query, which the general path parses.
   */
  private dynamicAt(buf: Buffer, start: number, end: number, ctx: QueryContext, out: Buffer, at: number, key: number): number {
    if (end - start < 17) return -1;
    // RFC 1035 §4.1.1: QR 0 and opcode 0 (the top five bits of byte 2), QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT ≤ 1.
    if ((buf[start + 2] & 0xf8) !== 0 || buf[start + 4] !== 0 || buf[start + 5] !== 1 || buf[start + 6] !== 0 || buf[start + 7] !== 0 || buf[start + 8] !== 0 || buf[start + 9] !== 0 || buf[start + 10] !== 0) return -1;
    const ar = buf[start + 11];
    if (ar > 1) return -1;
    // The question name: plain labels (no pointer, no extended label type), at most 255 octets.
    let i = start + 12;
    for (;;) {
      if (i >= end) return -1;
      const l = buf[i];
      if (l === 0) break;
      if (l > 63 || i + l + 1 - start - 12 >= 255) return -1;
      i += l + 1;
    }
    const qnameEnd = i + 1;
    if (qnameEnd + 4 > end) return -1;
    // The name of the last such query first (a flood asks one name), else by hash.
    let dn = this.lastDynamic;
    if (dn === undefined || dn.set !== this.data || !sameFoldedName(buf, start + 12, qnameEnd, dn.name.wire)) {
      const found = this.data.dynamicByHash.get(foldedNameHash(buf, start + 12, qnameEnd));
      if (found === undefined || !sameFoldedName(buf, start + 12, qnameEnd, found.wire)) return -1;
      dn = this.lastDynamic = { set: this.data, name: found };
    }
    const name = dn.name;
    const responder = name.responder;
    const qtype = (buf[qnameEnd] << 8) | buf[qnameEnd + 1];
    if ((qtype !== 1 && qtype !== 28) || buf[qnameEnd + 2] !== 0 || buf[qnameEnd + 3] !== CLASS_IN || !responder.select) return -1;
    let o = qnameEnd + 4;
    let udpSize = -1;
    let dnssecOk = false;
    let family = 0;
    let source = -1;
    if (ar === 1) {
      // RFC 6891 §6.1.2: root owner, TYPE 41, CLASS = UDP size, TTL = ext-RCODE, VERSION, DO.
      if (o + 11 > end || buf[o] !== 0 || buf[o + 1] !== 0 || buf[o + 2] !== 41 || buf[o + 6] !== 0) return -1;
      udpSize = (buf[o + 3] << 8) | buf[o + 4];
      dnssecOk = (buf[o + 7] & 0x80) !== 0;
      // A signed zone's answer to DO=1 carries signatures: the general path signs it.
      if (dnssecOk && name.signed) return -1;
      const rdlen = (buf[o + 9] << 8) | buf[o + 10];
      o += 11;
      if (o + rdlen !== end) return -1;
      if (rdlen > 0) {
        // RFC 7871 §6: one option, ECS, with FAMILY 1 or 2, prefixes in range, ceil(SOURCE / 8)
        // ADDRESS bytes and no bits set past SOURCE; anything else (other options, FORMERR cases) is parsed.
        if (rdlen < 8 || buf[o] !== 0 || buf[o + 1] !== OPTION.ECS || ((buf[o + 2] << 8) | buf[o + 3]) !== rdlen - 4 || buf[o + 4] !== 0) return -1;
        family = buf[o + 5];
        source = buf[o + 6];
        const max = family === 1 ? 32 : family === 2 ? 128 : -1;
        if (source > max || buf[o + 7] > max || rdlen - 8 !== (source + 7) >> 3) return -1;
        if ((source & 7) !== 0 && (buf[o + 8 + ((source + 7) >> 3) - 1] & (0xff >> (source & 7))) !== 0) return -1;
      }
    } else if (o !== end) {
      return -1;
    }
    const client = this.fastClient;
    client.address = ctx.address;
    client.family = ctx.family;
    if (source >= 0) {
      this.fastEcs.set(family as 1 | 2, source, buf, o + 8);
      client.ecs = this.fastEcs;
    } else {
      client.ecs = undefined;
    }
    const qt = qtype === 1 ? 'A' : 'AAAA';
    const selection = responder.select(qt, client);
    if (!selection) return -1;
    const answer = selection.draw();
    const limit = udpSize < 0 ? 512 : Math.max(512, Math.min(udpSize, this.maxUdp));
    const n = answer.records.length > 0 ? writeDynamicReply(out, at, buf, start, qnameEnd + 4 - start, answer.records, limit, udpSize < 0 ? -1 : this.maxUdp, dnssecOk, family, source, buf, o + 8, answer.scopePrefix) : -1;
    if (n < 0) {
      // NODATA, truncation: the general path, with this draw (it was counted).
      const reply = this.full(buf.subarray(start, end), ctx, key, undefined, { selection, answer });
      if (reply === undefined) return 0;
      out.set(reply, at);
      return reply.length;
    }
    this.lastRcode = RCODE.NOERROR;
    this.counters.reply(qtype, RCODE.NOERROR);
    const token = this.guard.rrl ? tokenOf(RESPONSE_CLASS.ANSWER, name.key, qtype) : 0;
    // Kept from its second sighting, unless its ECS names a single host (as the general path).
    if (key >= 0 && (source < 0 || source <= KEPT_ECS_PREFIX[family as 1 | 2]) && this.replies!.admit(buf, key)) {
      this.replies!.setDrawn(key, buf.subarray(start, end), ctx.address, source <= 0, selection, answer, out.subarray(at, at + n), qtype, undefined, token);
    }
    return this.limited(n, buf, start, end, token, ctx, out, at);
  }

  /** The general path: parse, answer, keep (UDP with a reply-cache `key` ≥ 0), guard. */
  private full(msg: Buffer, ctx: QueryContext, key: number, redraw?: Redraw, drawn?: { selection: DynamicSelection; answer: DynamicAnswer }): Buffer | undefined {
    const replies = this.replies;
    let parsed: ReturnType<typeof parseQuery>;
    try {
      parsed = parseQuery(msg);
    } catch (err) {
      // The parser bounds-checks every read; should it still fail, drop rather than die.
      this.opts.logger.error({ err }, 'query parser failed; message dropped');
      parsed = { kind: 'drop', reason: 'parser error' };
    }
    if (parsed.kind === 'drop') {
      this.counters.dropped++;
      this.guard.warn('dns malformed', 'dns: unreadable messages dropped', () => ({ client: ctx.address, reason: (parsed as { reason: string }).reason }));
      return undefined;
    }
    if (parsed.kind === 'error') {
      this.count(parsed.query, parsed.rcode, ctx, parsed.reason);
      if (parsed.reason.startsWith('COOKIE option')) this.counters.cookieMalformed++;
      const err = errorReply(msg, parsed, this.maxUdp);
      return ctx.tcp ? err : this.guard.limit(err, msg, this.guard.token(parsed.rcode, undefined, () => undefined), ctx.address, undefined, undefined, this.maxUdp);
    }
    const q = parsed.query;
    try {
      this.learned = undefined;
      const answered = this.answer(msg, q, ctx, redraw ? { selection: redraw.entry.selection, answer: redraw.answer } : drawn);
      let reply = this.nsid && q.edns?.nsid ? this.withNsid(answered, q, ctx) : answered;
      const cookie = q.edns?.cookieAt !== undefined ? this.guard.cookie(msg, q, ctx.address) : undefined;
      if (cookie || (ctx.tcp && q.edns?.keepalive)) reply = this.withOptions(reply, q, ctx, cookie);
      const learned = this.learned as Learned | undefined;
      const token = this.guard.rrl && !ctx.tcp ? this.guard.token(this.lastRcode, q, () => this.zoneOf(msg, q)) : 0;
      // A drawn reply of a kept selection is always kept; anything else from its second sighting,
      // unless its ECS names a single host (keepsEcs).
      // Replies with a COOKIE are not kept: the server cookie is made for this client and this time.
      if (key >= 0 && learned && !cookie && (redraw || (keepsEcs(q.edns?.ecs) && replies!.admit(msg, key)))) {
        if (learned.kind === 'fixed') replies!.setFixed(key, msg, reply, learned.qtype, learned.rcode, learned.truncated, token);
        else replies!.setDrawn(key, msg, ctx.address, learned.byAddress, learned.selection, learned.answer, reply, learned.qtype, redraw?.entry, token);
      }
      return ctx.tcp ? reply : this.guard.limit(reply, msg, token, ctx.address, q, cookie, this.maxUdp);
    } catch (err) {
      // A bug or bad record data must not kill the server: SERVFAIL, logged and counted.
      this.opts.logger.error({ err, qname: wireNameToText(msg, 12, q.qnameEnd), qtype: qtypeName(q.qtype) }, 'query failed');
      this.count(q, RCODE.SERVFAIL, ctx);
      return errorReply(msg, { id: q.id, flags: q.flags, rcode: RCODE.SERVFAIL, query: q, ...(q.edns ? { edns: q.edns } : {}) }, this.maxUdp);
    }
  }

  /** Adds this node's NSID to the reply's OPT, after the options it holds (EDE, ECS). */
  private withNsid(reply: Buffer, q: ParsedQuery, ctx: QueryContext): Buffer {
    const limit = ctx.tcp ? MAX_MESSAGE : Math.max(512, Math.min(q.edns?.udpSize ?? 512, this.maxUdp));
    return appendNsid(reply, optRdataLength(reply), this.nsid!, limit);
  }

  /** Adds COOKIE and keepalive options after what answer() and NSID put into the OPT. */
  private withOptions(reply: Buffer, q: ParsedQuery, ctx: QueryContext, cookie: CookieReply | undefined): Buffer {
    const optLen = optRdataLength(reply);
    const limit = ctx.tcp ? MAX_MESSAGE : Math.max(512, Math.min(q.edns?.udpSize ?? 512, this.maxUdp));
    return this.guard.options(reply, optLen, limit, cookie, ctx.tcp && q.edns?.keepalive ? ctx.keepaliveMs : undefined);
  }

  /** The served zone of the question name (NXDOMAIN buckets of the rate limiter). */
  private zoneOf(msg: Buffer, q: ParsedQuery): string | undefined {
    return this.data.findZone(wireNameToText(msg, 12, q.qnameEnd).toLowerCase())?.origin;
  }

  /** A snapshot of the counters. */
  stats(): ReturnType<DnsCounters['snapshot']> {
    return this.counters.snapshot(rrTypeMetricLabel, (r) => RCODE_NAMES[r] ?? `RCODE${r}`);
  }

  /** Answers a parsed query; `drawn` is an answer already drawn for it from a kept selection. */
  private answer(msg: Buffer, q: ParsedQuery, ctx: QueryContext, drawn?: { selection: DynamicSelection; answer: DynamicAnswer }): Buffer {
    const edns = q.edns;
    const ecs = edns?.ecs;
    const ecsLen = ecs ? ecsOptionLength(ecs) : 0;
    // RFC 6891 §6.2.3/§6.2.5: values below 512 are treated as 512; we cap at our maximum.
    const limit = ctx.tcp ? MAX_MESSAGE : edns ? Math.max(512, Math.min(edns.udpSize, this.maxUdp)) : 512;
    const data = this.data;
    const dynamic = data.dynamicByKey.size > 0 && q.qclass === CLASS_IN ? data.dynamicByKey.get(q.key) : undefined;
    // Everything that shapes the reply besides the name and type: transport, size limit, OPT, DO.
    const variant = ((limit - ecsLen) << 3) | (ctx.tcp ? 1 : 0) | (edns ? 2 : 0) | (edns?.dnssecOk ? 4 : 0);
    if (!dynamic) {
      const slots = this.cache.get(q.key);
      if (slots) {
        for (let i = 0; i < slots.length; i++) {
          const hit = slots[i];
          if (hit.qtype === q.qtype && hit.variant === variant && hit.qclass === q.qclass) {
            this.counters.cacheHits++;
            this.count(q, hit.rcode, ctx, undefined, hit.reply.truncated);
            this.learned = { kind: 'fixed', qtype: q.qtype, rcode: hit.rcode, truncated: hit.reply.truncated };
            return patchCached(hit.reply, msg, q, ecs, 0);
          }
        }
      }
      this.counters.cacheMisses++;
    }
    const ednsOut = edns ? { udpSize: this.maxUdp, dnssecOk: edns.dnssecOk } : undefined;
    let asked: { name: string; answer: DynamicAnswer | undefined } | undefined;
    let selection: DynamicSelection | undefined;
    // DO=1 for a name of a signed zone: the answer is signed on the general path below.
    const signing = edns?.dnssecOk === true && dynamic !== undefined && data.signedDynamic.has(q.key);
    if (dynamic && !SPECIAL_QTYPES.has(q.qtype)) {
      // The pick: drawn once per query; a plain answer is assembled from cached RR bytes, and
      // the selection it came from is kept (by query bytes) for the next query of this client.
      selection = drawn?.selection ?? dynamic.select?.(qtypeName(q.qtype), this.client(q, ctx));
      const d = drawn?.answer ?? (selection ? selection.draw() : dynamic.answer(qtypeName(q.qtype), this.client(q, ctx)));
      if (d && d.records.length > 0 && !signing) {
        const fast = encodeDynamicReply(msg, q, d.records, limit, ednsOut, ecs, d.scopePrefix);
        if (fast) {
          this.count(q, RCODE.NOERROR, ctx);
          // Without ECS (or with source prefix 0) the querying address may place the client.
          if (selection) this.learned = { kind: 'drawn', qtype: q.qtype, selection, answer: d, byAddress: !ecs || ecs.sourcePrefix === 0 };
          return fast;
        }
      }
      asked = { name: dynamic.name, answer: d };
    }
    const qname = wireNameToText(msg, 12, q.qnameEnd);
    const plan = this.plan(data, q, qname, ctx, asked);
    const reply = encodeReply(msg, q, qname, plan, { limit: limit - ecsLen, edns: ednsOut });
    if (plan.cacheable && !dynamic) {
      this.store(q, variant, reply, plan.rcode);
      this.learned = { kind: 'fixed', qtype: q.qtype, rcode: plan.rcode, truncated: reply.truncated };
    } else if (signing && selection && asked?.answer && asked.answer.records.length > 0 && !reply.truncated) {
      // A signed pick is kept per answer like an unsigned one (the query bytes hold DO=1, so the
      // two never mix); the signatures in it are renewed when the caches are flushed (refreshSigned).
      this.learned = { kind: 'drawn', qtype: q.qtype, selection, answer: asked.answer, byAddress: !ecs || ecs.sourcePrefix === 0 };
    }
    this.count(q, plan.rcode, ctx, undefined, reply.truncated);
    return patchCached(reply, msg, q, ecs, plan.scopePrefix);
  }

  private store(q: ParsedQuery, variant: number, reply: EncodedReply, rcode: number): void {
    if (this.cached >= CACHE_LIMIT) {
      this.cache = new Map();
      this.cached = 0;
    }
    const entry: CacheEntry = { qtype: q.qtype, qclass: q.qclass, variant, reply, rcode };
    const slots = this.cache.get(q.key);
    if (slots) slots.push(entry);
    else this.cache.set(q.key, [entry]);
    this.cached++;
  }

  private client(q: ParsedQuery, ctx: QueryContext): ClientInfo {
    const ecs = q.edns?.ecs;
    const client: ClientInfo = { address: ctx.address, family: ctx.family };
    if (ecs) client.ecs = { family: ecs.family, sourcePrefix: ecs.sourcePrefix, address: formatAddress(ecs.family, ecs.addressBytes), bytes: ecs.addressBytes };
    return client;
  }

  private plan(data: DataSet, q: ParsedQuery, qname: string, ctx: QueryContext, asked?: { name: string; answer: DynamicAnswer | undefined }): ReplyPlan {
    const empty = (rcode: number): ReplyPlan => ({ rcode, aa: false, answer: [], authority: [], additional: [], referral: false, cacheable: true, scopePrefix: 0 });
    // Only class IN is served; zone transfers are not offered (REFUSED, as BIND without allow-transfer).
    if (q.qclass !== CLASS_IN) return { ...empty(RCODE.REFUSED), ede: { code: EDE.NOT_AUTHORITATIVE, text: 'only class IN is served' } };
    if (q.qtype === 251 || q.qtype === 252) return { ...empty(RCODE.REFUSED), ede: { code: EDE.PROHIBITED, text: 'zone transfers are not offered' } };
    // RFC 6891 §6.1.1: OPT is a pseudo-type, never a question; MAILA/MAILB (RFC 1035 §3.2.3) are obsolete.
    if (q.qtype === 41) return empty(RCODE.FORMERR);
    if (q.qtype === 253 || q.qtype === 254) return empty(RCODE.NOTIMP);
    const p = resolve(data, qname, qtypeName(q.qtype), this.client(q, ctx), asked);
    if (!q.edns?.dnssecOk || data.signed === 0) return p;
    return p.zone?.signer ? signPlan(p.zone, p) : p;
  }

  /**
   * Drops the kept replies of signed zones' answers when their signatures may be due for renewal
   * or a key changed state (publish, activate, retire); called by the transports on a timer.
   * True when it flushed.
   */
  refreshSigned(nowMs: number, everyMs: number): boolean {
    const signers = this.data.signers();
    if (signers.length === 0) return false;
    const epoch = signers.map((s) => s.keysAt(Math.floor(nowMs / 1000)).epoch).join(' ');
    if (epoch === this.signedEpoch && nowMs < this.signedFlushAt) return false;
    this.signedEpoch = epoch;
    this.signedFlushAt = nowMs + everyMs;
    this.update(this.data);
    return true;
  }

  private count(q: ParsedQuery | undefined, rcode: number, ctx: QueryContext, reason?: string, truncated = false): void {
    this.lastRcode = rcode;
    this.counters.reply(q ? q.qtype : -1, rcode);
    if (truncated) this.counters.truncated++;
    if (this.opts.queryLog) {
      this.opts.logger.info({
        client: ctx.address,
        proto: ctx.tcp ? 'tcp' : 'udp',
        qname: q ? qnameFromKey(q.key) : undefined,
        qtype: q ? qtypeName(q.qtype) : undefined,
        rcode: RCODE_NAMES[rcode] ?? `RCODE${rcode}`,
        tc: truncated || undefined,
        reason,
      }, 'query');
    }
  }
}

/** Presentation name from the parser's key (for logs only). */
function qnameFromKey(key: string): string {
  return wireNameToText(Buffer.from(key, 'latin1'), 0, key.length);
}
