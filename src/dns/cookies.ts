/**
 * DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018): a server cookie is
 * Version 1, three reserved bytes, a 32-bit timestamp and SipHash-2-4 of (client cookie |
 * version | reserved | timestamp | client IP) under a 16-byte secret. Nodes that share the base
 * secret make and accept each other's cookies, so a client moving between anycast nodes keeps a
 * valid one.
 *
 * The secret rotates without coordination: the secret of period k is HMAC-SHA256(base,
 * "anypick dns cookie " + k) cut to 16 bytes, k = floor(unix seconds / rotation). Cookies are
 * made with the current period's secret and accepted under k-1, k and k+1 (clocks of nodes a
 * little apart). Pure apart from the one HMAC per period; time is passed in.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { siphash24 } from '../util/siphash';

/** RFC 9018 §4.3: a cookie is good for an hour, and may be dated up to 5 minutes ahead. */
export const COOKIE_LIFETIME_S = 3600;
export const COOKIE_FUTURE_S = 300;
/** RFC 9018 §4.3: a server cookie older than half an hour is replaced by a fresh one. */
export const COOKIE_REFRESH_S = 1800;
/** Default rotation period of the derived secret (at least the cookie lifetime). */
export const DEFAULT_ROTATION_S = 86_400;
/** Environment variable holding the base secret (hex) when no file is given. */
export const COOKIE_SECRET_ENV = 'ANYPICK_COOKIE_SECRET';

/** Thrown for an unusable secret (file, environment or option). */
export class CookieSecretError extends Error {
  override readonly name = 'CookieSecretError';
  readonly code = 'E_COOKIE_SECRET';
}

/** How a query's COOKIE option was judged (RFC 7873 §5.2). */
export type CookieVerdict =
  /** §5.2.3 only a client cookie. */
  | 'client-only'
  /** §5.2.4 a server cookie this node did not make (or expired): treated as client-only. */
  | 'bad'
  /** §5.2.5 a valid server cookie. */
  | 'good';

/**
 * Parses a base secret: hex, at least 16 bytes (32 hex digits); whitespace and a trailing
 * newline are ignored. Throws CookieSecretError naming `where`.
 */
export function parseCookieSecret(text: string, where: string): Buffer {
  const hex = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2}){16,64}$/.test(hex)) {
    throw new CookieSecretError(`${where}: expected a secret of 16 to 64 bytes as hex (32 to 128 hex digits, e.g. from 'openssl rand -hex 16')`);
  }
  return Buffer.from(hex, 'hex');
}

/** Makes and checks server cookies. */
export class ServerCookies {
  private period = NaN;
  private secrets: Buffer[] = [];
  private readonly input = Buffer.alloc(8 + 8 + 16);
  private readonly hash = Buffer.alloc(8);

  /** True when the base secret was given (shared by a fleet), false when random. */
  readonly shared: boolean;
  private base: Buffer;

  /** `base`: the shared secret (random per process when absent); `rotationS`: secret period. */
  constructor(base?: Buffer, private readonly rotationS = DEFAULT_ROTATION_S) {
    this.shared = base !== undefined;
    this.base = base ?? randomBytes(16);
    if (!(rotationS >= COOKIE_LIFETIME_S)) throw new CookieSecretError(`cookie secret rotation ${rotationS} s is shorter than the cookie lifetime ${COOKIE_LIFETIME_S} s`);
  }

  /**
   * Replaces the shared secret (SIGHUP after the secret file changed). Cookies made under the
   * old one are then "not valid here" (RFC 7873 §5.2.4): answered normally with a fresh cookie.
   * Returns false when `base` is the secret already in use.
   */
  rekey(base: Buffer): boolean {
    if (base.equals(this.base)) return false;
    this.base = Buffer.from(base);
    this.period = NaN;
    return true;
  }

  /** The secrets of periods k (current, first), k-1 and k+1 at `nowS`. */
  private keys(nowS: number): Buffer[] {
    const k = Math.floor(nowS / this.rotationS);
    if (k !== this.period) {
      this.period = k;
      this.secrets = [k, k - 1, k + 1].map((p) => createHmac('sha256', this.base).update(`anypick dns cookie ${p}`).digest().subarray(0, 16));
    }
    return this.secrets;
  }

  /** The hash of RFC 9018 §4.4 into this.hash; `client` is 8 bytes, `ip` 4 or 16. */
  private sign(key: Buffer, client: Uint8Array, version: number, timestamp: number, ip: Uint8Array): Buffer {
    const m = this.input;
    m.set(client, 0);
    m[8] = version;
    m[9] = m[10] = m[11] = 0;
    m.writeUInt32BE(timestamp >>> 0, 12);
    m.set(ip, 16);
    siphash24(key, m.subarray(0, 16 + ip.length), this.hash);
    return this.hash;
  }

  /** A fresh 16-byte server cookie for `client` (8 bytes) from `ip` (4 or 16 bytes) at `nowS`. */
  make(client: Uint8Array, ip: Uint8Array, nowS: number): Buffer {
    const out = Buffer.alloc(16);
    out[0] = 1;
    out.writeUInt32BE(Math.floor(nowS) >>> 0, 4);
    this.sign(this.keys(nowS)[0], client, 1, Math.floor(nowS), ip).copy(out, 8);
    return out;
  }

  /**
   * Checks `server` (the bytes after the client cookie) for `client` from `ip` at `nowS`:
   * 'good' when this fleet made it within the last hour (RFC 9018 §4.3), else 'bad'.
   */
  check(client: Uint8Array, server: Uint8Array, ip: Uint8Array, nowS: number): 'good' | 'bad' {
    // RFC 9018 §4.2: version 1 is 16 bytes; the reserved bytes are zero when made.
    if (server.length !== 16 || server[0] !== 1) return 'bad';
    const ts = ((server[4] << 24) | (server[5] << 16) | (server[6] << 8) | server[7]) >>> 0;
    // RFC 1982 serial arithmetic on the 32-bit timestamp.
    const age = ((Math.floor(nowS) >>> 0) - ts) | 0;
    if (age > COOKIE_LIFETIME_S || age < -COOKIE_FUTURE_S) return 'bad';
    for (const key of this.keys(nowS)) {
      const h = this.sign(key, client, server[0], ts, ip);
      let diff = server[1] | server[2] | server[3];
      for (let i = 0; i < 8; i++) diff |= h[i] ^ server[8 + i];
      if (diff === 0) return 'good';
    }
    return 'bad';
  }

  /** True when a good cookie dated `server` should be replaced at `nowS` (older than 30 minutes). */
  stale(server: Uint8Array, nowS: number): boolean {
    const ts = ((server[4] << 24) | (server[5] << 16) | (server[6] << 8) | server[7]) >>> 0;
    return (((Math.floor(nowS) >>> 0) - ts) | 0) > COOKIE_REFRESH_S;
  }
}
