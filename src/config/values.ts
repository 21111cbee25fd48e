/**
 * Value parsers of the delivery language. Each takes the text of a word and returns the value
 * or throws a `ValueError` whose message names what was expected; `offset` (when set) points
 * into the word so the caller can report the exact column.
 */
import type { GeoPoint } from '../model/geo-point';
import { parseDuration as parseDurationText } from '../util/duration';
import { hasHostBits, isIpAddress, networkOf, parseAddress as parseIpBytes, samePrefix } from '../util/ip';

/** A value that does not parse; `offset` is the character index inside the word. */
export class ValueError extends Error {
  override readonly name = 'ValueError';
  readonly code = 'E_CONFIG_VALUE';
  readonly offset: number;
  constructor(message: string, offset = 0) {
    super(message);
    this.offset = offset;
  }
}

/** Parses a decimal integer in [min, max]; `what` names it in the message. */
export function parseIntIn(text: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(text)) throw new ValueError(`${what} must be an integer ${min}..${max}, got '${text}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ValueError(`${what} ${text} out of range ${min}..${max}`);
  return n;
}

/** Weights: integers 0..65535. */
export const parseWeight = (t: string): number => parseIntIn(t, 0, 65535, 'weight');
/** Priorities: integers 0..65535, lower is preferred. */
export const parsePriority = (t: string): number => parseIntIn(t, 0, 65535, 'priority');
/** RFC 6793: 4-octet AS numbers 1..4294967295 (0 is reserved, RFC 7607). */
export const parseAsn = (t: string): number => parseIntIn(t, 1, 4294967295, 'AS number');
/** TCP/UDP ports 1..65535. */
export const parsePort = (t: string): number => parseIntIn(t, 1, 65535, 'port');
/** RFC 2181 §8: TTLs are 0..2147483647 seconds. */
export const parseTtl = (t: string): number => parseIntIn(t, 0, 2147483647, 'TTL');

/** A duration (`500ms`, `1.5s`, `2m`, `1h`; src/util/duration.ts) → milliseconds. */
export function parseDuration(text: string): number {
  try {
    return parseDurationText(text);
  } catch (err) {
    throw new ValueError((err as Error).message);
  }
}

/** `500km` → kilometres (integer or decimal, ≥ 0). */
export function parseDistanceKm(text: string): number {
  const m = /^(\d+(?:\.\d+)?)km$/.exec(text);
  if (!m) throw new ValueError(`bad distance '${text}' (expected kilometres, e.g. 500km)`);
  return Number(m[1]);
}

/** `LAT,LON` in degrees: latitude -90..90, longitude -180..180. */
export function parseLocation(text: string): GeoPoint {
  const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(text);
  if (!m) throw new ValueError(`bad location '${text}' (expected LAT,LON in degrees, e.g. 37.4,-122.1)`);
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (lat < -90 || lat > 90) throw new ValueError(`latitude ${m[1]} out of range -90..90`);
  if (lon < -180 || lon > 180) throw new ValueError(`longitude ${m[2]} out of range -180..180`, m[1].length + 1);
  return { lat, lon };
}

/** An IPv4 or IPv6 address (no zone index; src/util/ip.ts) → its family. */
export function parseAddress(text: string): { address: string; family: 4 | 6 } {
  const family = isIpAddress(text);
  if (family === 0) throw new ValueError(`bad IP address '${text}'`);
  return { address: family === 6 ? text.toLowerCase() : text, family };
}

/** Result of `parseBlock`. */
export interface ParsedBlock {
  address: string;
  family: 4 | 6;
  prefixLength: number;
  /** Canonical network CIDR with host bits cleared. */
  network: string;
  /** True when ADDR has bits set beyond the prefix length. */
  hostBits: boolean;
}

/**
 * `ADDR/LEN` → address, family, length and canonical network. Host bits are allowed (the
 * seed README: ADDR is the answer, the block is where the member lives); callers that need
 * a pure network check `hostBits`.
 */
export function parseBlock(text: string): ParsedBlock {
  const slash = text.indexOf('/');
  if (slash < 0) throw new ValueError(`bad address block '${text}' (expected ADDR/LEN)`);
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  let a: { address: string; family: 4 | 6 };
  try {
    a = parseAddress(addrText);
  } catch {
    throw new ValueError(`bad IP address '${addrText}' in block '${text}'`);
  }
  const max = a.family === 4 ? 32 : 128;
  if (!/^\d+$/.test(lenText) || Number(lenText) > max) {
    throw new ValueError(`bad prefix length '/${lenText}' (IPv${a.family}: 0..${max})`, slash);
  }
  const len = Number(lenText);
  const bytes = parseIpBytes(a.address);
  return { address: a.address, family: a.family, prefixLength: len, network: networkOf(bytes, len), hostBits: hasHostBits(bytes, len) };
}

/** Whether `address` lies inside the network `block` (both already validated). */
export function blockContains(block: ParsedBlock, address: string, family: 4 | 6): boolean {
  if (family !== block.family) return false;
  return samePrefix(parseIpBytes(address), parseIpBytes(block.address), block.prefixLength);
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A DNS host name (letters, digits, `-`, `_`; labels ≤ 63; ≤ 253 total) → lower case, no trailing dot. */
export function parseDomainName(text: string): string {
  const name = text.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) throw new ValueError(`bad domain name '${text}'`);
  let off = 0;
  for (const label of name.split('.')) {
    if (!LABEL.test(label)) throw new ValueError(`bad domain name '${text}' (label '${label}')`, off);
    off += label.length + 1;
  }
  return name;
}

/** `scheme://host[:port][/path]` → parts. The host is a domain name or an IP (IPv6 in brackets). */
export function parseUrl(text: string): { scheme: string; host: string; port?: number; path: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:[\]]*)(?::([^/]*))?(\/.*)?$/i.exec(text);
  if (!m) throw new ValueError(`bad URL '${text}' (expected scheme://host[:port]/path)`);
  const scheme = m[1].toLowerCase();
  let host: string;
  const hostOff = m[1].length + 3;
  if (m[2].startsWith('[')) {
    const inner = m[2].slice(1, -1);
    if (isIpAddress(inner) !== 6) throw new ValueError(`bad IPv6 address '${inner}' in URL`, hostOff);
    host = inner.toLowerCase();
  } else if (isIpAddress(m[2]) === 4) {
    host = m[2];
  } else {
    try {
      host = parseDomainName(m[2]);
    } catch {
      throw new ValueError(`bad host '${m[2]}' in URL '${text}'`, hostOff);
    }
  }
  let port: number | undefined;
  if (m[3] !== undefined) {
    try {
      port = parsePort(m[3]);
    } catch (e) {
      throw new ValueError(`${(e as Error).message} in URL '${text}'`, hostOff + m[2].length + 1);
    }
  }
  return { scheme, host, port, path: m[4] ?? '/' };
}
