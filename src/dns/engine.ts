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
import { rrTypeMetricLabel, rrTypeName } from '../rrtype/registry';
import type { ClientInfo } from './dynamic';
import { DnsCounters } from './counters';
import { resolve } from './resolve';
import type { ReplyPlan } from './resolve';
import type { DataSet } from './store';
import { CLASS_IN, RCODE, RCODE_NAMES } from './wire/constants';
import { ecsOptionLength, formatAddress } from './wire/ecs';
import { wireNameToText } from './wire/name';
import { parseQuery } from './wire/query';
import type { ParsedQuery } from './wire/query';
import { encodeReply, errorReply, patchCached } from './wire/reply';
import { encodeDynamicReply } from './wire/dynamic-reply';
import type { DynamicAnswer } from './dynamic';
import type { EncodedReply } from './wire/reply';
import { MAX_MESSAGE } from './wire/writer';
import { appendNsid } from './wire/nsid';
import { EDE, optRdataLength } from './wire/ede';
import { ReplyCache, drawnBytes, keepsEcs, withId } from './reply-cache';
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
    if (ctx.tcp) this.counters.tcp++;
    else this.counters.udp++;
    const replies = ctx.tcp ? undefined : this.replies;
    const key = replies?.key(msg);
    /** An answer drawn from a kept selection whose reply is not encoded yet. */
    let redraw: { entry: DrawnReply; answer: DynamicAnswer } | undefined;
    if (key !== undefined) {
      const e = replies!.get(key, ctx.address);
      if (e?.kind === 'fixed') {
        this.counters.replyCacheHits++;
        this.counters.cacheHits++;
        this.counters.reply(e.qtype, e.rcode);
        if (e.truncated) this.counters.truncated++;
        return this.guard.limit(withId(e.bytes, msg), msg, e.rrl, ctx.address, undefined, undefined, this.maxUdp);
      }
      if (e && e.selection.current()) {
        const answer = e.selection.draw();
        const t = drawnBytes(e, answer);
        if (t) {
          this.counters.replyCacheHits++;
          this.counters.reply(e.qtype, RCODE.NOERROR);
          return this.guard.limit(withId(t, msg), msg, e.rrl, ctx.address, undefined, undefined, this.maxUdp);
        }
        redraw = { entry: e, answer }; // a first for this answer: encoded below, then kept
      } else if (e) {
        replies!.delete(key, ctx.address);
      }
    }
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
      const answered = this.answer(msg, q, ctx, redraw && { selection: redraw.entry.selection, answer: redraw.answer });
      let reply = this.nsid && q.edns?.nsid ? this.withNsid(answered, q, ctx) : answered;
      const cookie = q.edns?.cookieAt !== undefined ? this.guard.cookie(msg, q, ctx.address) : undefined;
      if (cookie || (ctx.tcp && q.edns?.keepalive)) reply = this.withOptions(reply, q, ctx, cookie);
      const learned = this.learned as Learned | undefined;
      const token = this.guard.rrl && !ctx.tcp ? this.guard.token(this.lastRcode, q, () => this.zoneOf(msg, q)) : 0;
      // A drawn reply of a kept selection is always kept; anything else from its second sighting,
      // unless its ECS names a single host (keepsEcs).
      // Replies with a COOKIE are not kept: the server cookie is made for this client and this time.
      if (key !== undefined && learned && !cookie && (redraw || (keepsEcs(q.edns?.ecs) && replies!.admit(msg)))) {
        if (learned.kind === 'fixed') replies!.setFixed(key, reply, learned.qtype, learned.rcode, learned.truncated, token);
        else replies!.setDrawn(key, ctx.address, learned.byAddress, learned.selection, learned.answer, reply, learned.qtype, redraw?.entry, token);
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
    if (dynamic && !SPECIAL_QTYPES.has(q.qtype)) {
      // The pick: drawn once per query; a plain answer is assembled from cached RR bytes, and
      // the selection it came from is kept (by query bytes) for the next query of this client.
      const selection = drawn?.selection ?? dynamic.select?.(qtypeName(q.qtype), this.client(q, ctx));
      const d = drawn?.answer ?? (selection ? selection.draw() : dynamic.answer(qtypeName(q.qtype), this.client(q, ctx)));
      if (d && d.records.length > 0) {
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
    return resolve(data, qname, qtypeName(q.qtype), this.client(q, ctx), asked);
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
