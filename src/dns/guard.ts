/**
 * What the engine does to a finished reply for a client on the open internet: DNS cookies
 * (RFC 7873 §5.2 with RFC 9018 server cookies) and response rate limiting of UDP replies
 * (rrl.ts). The engine calls it for every reply, whichever socket path the query came from
 * (reply-cache hits included), so both UDP paths and TCP behave alike. No networking.
 *
 * Cookie policy: a query with a valid server cookie is never rate limited (the source address
 * is proven); a client-only or invalid cookie is answered normally with a fresh server cookie,
 * and when rate limiting would slip its reply, the slip is BADCOOKIE with that fresh cookie
 * (RFC 7873 §5.2.3 lets server policy — rate limiting — choose BADCOOKIE), so the client's
 * retry over UDP carries a valid cookie. BADCOOKIE is sent nowhere else.
 *
 * Slipped replies carry no Extended DNS Error: TC=1 alone, as Knot sends them (a short reply
 * that tells a real client to retry over TCP; EDE "Prohibited" would only make it bigger).
 */
import { coarseNow } from '../util/coarse-clock';
import { parseAddress, unmapV4 } from '../util/ip';
import type { ThrottledWarnings } from '../util/throttled-log';
import type { DnsCounters } from './counters';
import type { ServerCookies } from './cookies';
import { RESPONSE_CLASS, RRL, tokenOf } from './rrl';
import type { RrlVerdict } from './rrl';
import type { ResponseRateLimiter } from './rrl';
import { FLAG, OPTION, RCODE } from './wire/constants';
import { appendOption, keepaliveData, shortReply } from './wire/options';
import { parseQuery } from './wire/query';
import type { ParsedQuery } from './wire/query';

/** The COOKIE of a reply: the verdict on the query's and the option data to send back. */
export interface CookieReply {
  verdict: 'client-only' | 'bad' | 'good';
  /** Client cookie (8 bytes) and a fresh server cookie (16 bytes). */
  data: Buffer;
}

/** Options of the guard. */
export interface GuardOptions {
  rrl?: ResponseRateLimiter;
  cookies?: ServerCookies;
  warnings?: ThrottledWarnings;
  /** Milliseconds since the epoch (RRL buckets, cookie timestamps); default: the coarse clock for
   * buckets, Date.now for cookies. */
  now?: () => number;
}

const ERROR_TOKEN = tokenOf(RESPONSE_CLASS.ERROR, '');

/** Cookies and rate limiting around the engine's replies. */
export class ReplyGuard {
  readonly rrl?: ResponseRateLimiter;
  readonly cookies?: ServerCookies;
  /** Time for buckets (per reply: the coarse clock) and for cookies (per cookie query). */
  private readonly bucketNow: () => number;
  private readonly now: () => number;

  constructor(private readonly counters: DnsCounters, private readonly o: GuardOptions) {
    this.rrl = o.rrl;
    this.cookies = o.cookies;
    this.now = o.now ?? Date.now;
    this.bucketNow = o.now ?? coarseNow;
  }

  /**
   * The rate limiter's token of a reply: answers (and NODATA, referrals) per name and type,
   * NXDOMAIN per zone (`zone` of the name, when served), everything else one error class.
   */
  token(rcode: number, q: ParsedQuery | undefined, zone: () => string | undefined): number {
    if (rcode === RCODE.NOERROR && q) return tokenOf(RESPONSE_CLASS.ANSWER, q.key, q.qtype);
    if (rcode === RCODE.NXDOMAIN) return tokenOf(RESPONSE_CLASS.NXDOMAIN, zone() ?? '');
    return ERROR_TOKEN;
  }

  /** Judges the query's COOKIE option (present: `q.edns.cookieAt`) and makes the reply's. */
  cookie(msg: Buffer, q: ParsedQuery, address: string): CookieReply | undefined {
    const at = q.edns?.cookieAt;
    if (at === undefined || !this.cookies) return undefined;
    const len = q.edns!.cookieLen!;
    let ip: Uint8Array;
    try {
      ip = unmapV4(parseAddress(address));
    } catch {
      return undefined; // not an IP transport (never for UDP/TCP sockets)
    }
    const nowS = this.now() / 1000;
    const client = msg.subarray(at, at + 8);
    let verdict: CookieReply['verdict'] = 'client-only';
    if (len > 8) verdict = this.cookies.check(client, msg.subarray(at + 8, at + len), ip, nowS);
    if (verdict === 'good') this.counters.cookieGood++;
    else if (verdict === 'bad') this.counters.cookieBad++;
    else this.counters.cookieClientOnly++;
    const data = Buffer.allocUnsafe(24);
    data.set(client, 0);
    this.cookies.make(client, ip, nowS).copy(data, 8);
    return { verdict, data };
  }

  /** One throttled warning line for `cause` (see util/throttled-log.ts); nothing without a logger. */
  warn(cause: string, msg: string, fields: Record<string, unknown> | (() => Record<string, unknown>)): void {
    this.o.warnings?.warn(cause, msg, fields);
  }

  /** Adds the COOKIE and (TCP) keepalive options to a reply whose OPT has `optLen` bytes of RDATA. */
  options(reply: Buffer, optLen: number, limit: number, cookie: CookieReply | undefined, keepaliveMs: number | undefined): Buffer {
    let out = reply;
    if (cookie) {
      const before = out.length;
      out = appendOption(out, optLen, OPTION.COOKIE, cookie.data, limit);
      optLen += out.length - before;
    }
    // RFC 7828 §3.3.2: over TCP, the server's idle timeout when the client asked (never over UDP).
    if (keepaliveMs !== undefined) out = appendOption(out, optLen, OPTION.TCP_KEEPALIVE, keepaliveData(keepaliveMs), limit);
    return out;
  }

  /**
   * Rate limits a UDP reply: the reply, a short one (TC=1, or BADCOOKIE for a query with a
   * cookie), or undefined to drop it. `q` is parsed again for a slip when not given.
   */
  limit(reply: Buffer, msg: Buffer, token: number, address: string, q?: ParsedQuery, cookie?: CookieReply, maxUdp = 1232): Buffer | undefined {
    if (!this.rrl) return reply;
    if (cookie?.verdict === 'good') {
      this.counters.rrlExempt++;
      return reply;
    }
    const verdict = this.verdict(token, address);
    if (verdict === RRL.SEND) return reply;
    return this.limitedReply(verdict, reply, msg, address, q, cookie, maxUdp);
  }

  /**
   * The first half of `limit` for a reply with no cookie: the verdict alone (a bucket token
   * taken), so the common case — send it — costs no Buffer. Without RRL, SEND.
   */
  verdict(token: number, address: string): RrlVerdict {
    return this.rrl ? this.rrl.check(address, token, this.bucketNow()) : RRL.SEND;
  }

  /** The second half of `limit`, for a verdict other than SEND: a short reply, or undefined to drop. */
  limitedReply(verdict: RrlVerdict, reply: Buffer, msg: Buffer, address: string, q?: ParsedQuery, cookie?: CookieReply, maxUdp = 1232): Buffer | undefined {
    const rrl = this.rrl;
    if (!rrl || verdict === RRL.SEND) return reply;
    this.o.warnings?.warn('rrl', 'response rate limiting: replies to a client prefix are limited', () => ({ prefix: rrl.prefixText(address), ratePerSecond: rrl.rate, slip: rrl.slip }));
    if (verdict === RRL.DROP) {
      this.counters.rrlDropped++;
      return undefined;
    }
    this.counters.rrlSlipped++;
    if (reply.length < 12) return undefined;
    let query = q;
    if (!query) {
      const p = parseQuery(msg);
      if (p.kind !== 'query') {
        // A header-only error reply: the same with TC=1 (nothing to amplify).
        const out = Buffer.from(reply);
        out[2] |= FLAG.TC >> 8;
        return out;
      }
      query = p.query;
    }
    const edns = query.edns ? { udpSize: maxUdp, dnssecOk: query.edns.dnssecOk } : undefined;
    if (cookie && edns) {
      this.counters.badcookieSent++;
      return shortReply(msg, query.qnameEnd, { rcode: RCODE.BADCOOKIE, aa: false, tc: false, edns: { ...edns, cookie: cookie.data } });
    }
    return shortReply(msg, query.qnameEnd, { rcode: reply[3] & 0xf, aa: (reply[2] & (FLAG.AA >> 8)) !== 0, tc: true, edns });
  }
}
