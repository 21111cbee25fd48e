/**
 * Header handling of the reverse proxy: hop-by-hop removal (RFC 9110 §7.6.1), the client
 * address behind trusted proxies, and `Forwarded` (RFC 7239) / `X-Forwarded-*`.
 */
import { BlockList, isIP } from 'node:net';
import { unmapV4Text } from '../../util/ip';
import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: connection-specific fields a proxy must not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate',
  // RFC 9110 §10.1.1: this hop answered `Expect: 100-continue` itself (node:http does).
  'expect']);

function connectionTokens(v: string | string[] | undefined): Set<string> {
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  return new Set(s.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/**
 * Copies `headers` without hop-by-hop fields, fields named in `Connection` and HTTP/2
 * pseudo-headers (RFC 9113 §8.3: `:method`, `:path`… belong to one hop's framing).
 */
export function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const named = headers.connection === undefined ? undefined : connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    const n = k.toLowerCase();
    if (v === undefined || n.charCodeAt(0) === 58 || HOP_BY_HOP.has(n) || named?.has(n)) continue;
    out[n] = v;
  }
  return out;
}

/** Addresses whose `Forwarded`/`X-Forwarded-*` headers are believed. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `cidrs`: `ADDR/LEN` or `ADDR`; throws TypeError for an invalid entry. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, len] = c.split('/');
      const fam = isIP(addr);
      if (fam === 0) throw new TypeError(`invalid trusted proxy '${c}'`);
      const type = fam === 6 ? 'ipv6' : 'ipv4';
      const bits = len === undefined ? (fam === 6 ? 128 : 32) : Number(len);
      if (!Number.isInteger(bits) || bits < 0 || bits > (fam === 6 ? 128 : 32)) throw new TypeError(`invalid prefix length in '${c}'`);
      this.list.addSubnet(addr, bits, type);
    }
    this.empty = cidrs.length === 0;
  }

  /** True when `addr` is a trusted proxy. */
  has(addr: string | undefined): boolean {
    if (!addr || this.empty) return false;
    const a = unmapV4Text(addr);
    const fam = isIP(a);
    return fam !== 0 && this.list.check(a, fam === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Loopback: the default set of trusted proxies (the tiers of one machine). */
export const LOOPBACK_PROXIES = ['127.0.0.0/8', '::1/128'];

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The client address: the peer, or — when the peer is a trusted proxy — the rightmost address
 * of `X-Forwarded-For` that is not itself trusted (RFC 7239 §5.2 reasoning applied to XFF).
 * `peerTrusted`: the caller's cached judgement of the peer (it does not change on a connection).
 */
export function clientAddress(peer: string, headers: IncomingHttpHeaders, trusted: TrustedProxies, peerTrusted?: boolean): string {
  const p = unmapV4Text(peer);
  if (!(peerTrusted ?? trusted.has(p))) return p;
  // Nothing forwarded: the peer itself (a tier of this machine calling directly).
  if (headers['x-forwarded-for'] === undefined) return p;
  const xff = (Array.isArray(headers['x-forwarded-for']) ? headers['x-forwarded-for'].join(',') : headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => isIP(s) !== 0);
  for (let i = xff.length - 1; i >= 0; i--) if (!trusted.has(xff[i])) return xff[i];
  return xff[0] ?? p;
}

/** RFC 7239 §6: IPv6 nodes are quoted and bracketed; tokens with other characters are quoted. */
function node(addr: string): string {
  return isIP(addr) === 6 ? `"[${addr}]"` : addr;
}

function quoteIfNeeded(v: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Adds this hop to `Forwarded` and `X-Forwarded-For/Proto/Host`. From an untrusted peer any
 * incoming values are dropped first, so a client cannot forge its address.
 */
export function addForwarded(out: Record<string, string | string[]>, peer: string, proto: string, host: string | undefined, trustedPeer: boolean): void {
  const p = unmapV4Text(peer);
  const prevFwd = trustedPeer ? first(out.forwarded) : undefined;
  const prevXff = trustedPeer ? (Array.isArray(out['x-forwarded-for']) ? out['x-forwarded-for'].join(', ') : out['x-forwarded-for']) : undefined;
  const params = [`for=${node(p)}`, host ? `host=${quoteIfNeeded(host)}` : '', `proto=${proto}`].filter(Boolean).join(';');
  out.forwarded = prevFwd ? `${prevFwd}, ${params}` : params;
  out['x-forwarded-for'] = prevXff ? `${prevXff}, ${p}` : p;
  if (!trustedPeer || !out['x-forwarded-proto']) out['x-forwarded-proto'] = proto;
  if (host && (!trustedPeer || !out['x-forwarded-host'])) out['x-forwarded-host'] = host;
}
