/**
 * Client networks as numbers: an IPv4 address cut to a prefix (default /24) or an IPv6 address
 * cut to a prefix (default /48), packed into one integer below 2^53 so that a map keyed by it
 * needs no string per query. IPv4 keys are the masked address (0 … 2^32 − 1); IPv6 keys are
 * 2^32 + the first 48 bits, masked (IPv6 prefixes are limited to /48 and shorter).
 */
import { formatAddress, isV4MappedBytes, parseAddress, unmapV4 } from './ip';

/** The prefix lengths addresses are aggregated to, per family. */
export interface NetworkPrefixes {
  v4: number;
  v6: number;
}

/** /24 for IPv4, /48 for IPv6. */
export const DEFAULT_NETWORK_PREFIXES: NetworkPrefixes = Object.freeze({ v4: 24, v6: 48 });

/** Longest IPv6 prefix a key can hold. */
export const MAX_V6_KEY_PREFIX = 48;

const V6_BASE = 2 ** 32;

/** A prefix length a network key cannot hold. */
export class NetworkKeyError extends RangeError {
  override readonly name = 'NetworkKeyError';
  readonly code = 'E_NETWORK_KEY';
}

/** Throws NetworkKeyError unless v4 is 1..32 and v6 is 1..48. */
export function checkPrefixes(p: NetworkPrefixes): NetworkPrefixes {
  if (!(Number.isInteger(p.v4) && p.v4 >= 1 && p.v4 <= 32)) throw new NetworkKeyError(`IPv4 network prefix must be 1..32, got ${p.v4}`);
  if (!(Number.isInteger(p.v6) && p.v6 >= 1 && p.v6 <= MAX_V6_KEY_PREFIX)) throw new NetworkKeyError(`IPv6 network prefix must be 1..${MAX_V6_KEY_PREFIX}, got ${p.v6}`);
  return p;
}

/**
 * The key of the network that 4 or 16 address bytes lie in (an IPv4-mapped IPv6 address counts
 * as IPv4). Bytes past the end of a short array count as 0 (ECS addresses are truncated).
 */
export function networkKeyOfBytes(bytes: Uint8Array, v6: boolean, p: NetworkPrefixes = DEFAULT_NETWORK_PREFIXES): number {
  if (!v6 || isV4MappedBytes(bytes)) {
    const o = v6 ? 12 : 0;
    const a = (((bytes[o] ?? 0) << 24) | ((bytes[o + 1] ?? 0) << 16) | ((bytes[o + 2] ?? 0) << 8) | (bytes[o + 3] ?? 0)) >>> 0;
    const mask = p.v4 === 32 ? 0xffffffff : ~(0xffffffff >>> p.v4) >>> 0;
    return (a & mask) >>> 0;
  }
  // The first 48 bits as hi (16 bits) * 2^32 + lo (32 bits), then masked by division.
  const hi = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const lo = (((bytes[2] ?? 0) << 24) | ((bytes[3] ?? 0) << 16) | ((bytes[4] ?? 0) << 8) | (bytes[5] ?? 0)) >>> 0;
  const unit = 2 ** (48 - p.v6);
  const v = hi * V6_BASE + lo;
  return V6_BASE + Math.floor(v / unit) * unit;
}

/** The key of an address's network; throws AddressError (src/util/ip) on a bad address. */
export function networkKeyOf(address: string, p: NetworkPrefixes = DEFAULT_NETWORK_PREFIXES): number {
  const raw = unmapV4(parseAddress(address));
  return networkKeyOfBytes(raw, raw.length === 16, p);
}

/** True for keys of IPv6 networks. */
export function isV6Key(key: number): boolean {
  return key >= V6_BASE;
}

/** A key as CIDR text, e.g. `198.51.100.0/24` or `2001:db8:7::/48`. */
export function networkKeyText(key: number, p: NetworkPrefixes = DEFAULT_NETWORK_PREFIXES): string {
  if (!isV6Key(key)) {
    return `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}/${p.v4}`;
  }
  const v = key - V6_BASE;
  const hi = Math.floor(v / V6_BASE);
  const lo = v % V6_BASE;
  const b = new Uint8Array(16);
  b[0] = hi >>> 8;
  b[1] = hi & 255;
  b[2] = lo >>> 24;
  b[3] = (lo >>> 16) & 255;
  b[4] = (lo >>> 8) & 255;
  b[5] = lo & 255;
  return `${formatAddress(b)}/${p.v6}`;
}

/**
 * Parses `ADDR/LEN` as a client network: the key of the network of the configured prefix that
 * holds it. `undefined` when the text is not a CIDR, has host bits below LEN, or is coarser
 * than the configured prefix (a /16 cannot stand for one /24: it is refused, not guessed).
 */
export function parseNetworkKey(text: string, p: NetworkPrefixes = DEFAULT_NETWORK_PREFIXES): number | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const len = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return undefined;
  let raw: Buffer;
  try {
    raw = parseAddress(text.slice(0, slash));
  } catch {
    return undefined;
  }
  const n = Number(len);
  const bytes = unmapV4(raw);
  const own = bytes.length < raw.length ? n - 96 : n;
  const v6 = bytes.length === 16;
  const want = v6 ? p.v6 : p.v4;
  if (own < want || own > bytes.length * 8) return undefined;
  // Host bits below LEN mean the sender sent an address, not a network.
  for (let bit = own; bit < bytes.length * 8; bit++) if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return undefined;
  return networkKeyOfBytes(bytes, v6, p);
}
