/**
 * IP address helpers — the one set the project uses: parsing to bytes (strict: IPv4 as four
 * decimal octets without leading zeros, IPv6 per RFC 4291 §2.2, no zone index), canonical text
 * (RFC 5952), masking to a network, prefix containment, and IPv4-mapped IPv6. Pure; no
 * networking. Used by the zone and delivery parsers, the DNS ECS option, geo, the picks and BGP.
 */

/** Thrown for text that is not an IPv4 or IPv6 address (or a prefix length out of range). */
export class AddressError extends Error {
  override readonly name = 'AddressError';
  readonly code = 'E_ADDRESS';
}

/**
 * Dotted-quad IPv4 text as a 32-bit unsigned number, or undefined: four decimal octets, no
 * leading zeros. Allocates nothing (per-packet use, e.g. rate limiting).
 */
export function ipv4Number(text: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let octet = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      n = n * 256 + octet;
      part++;
      digits = 0;
      octet = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? n : undefined;
}

/** Parses dotted-quad IPv4 text to 4 bytes, or undefined. */
function parseV4(text: string): Buffer | undefined {
  const n = ipv4Number(text);
  if (n === undefined) return undefined;
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n, 0);
  return out;
}

/** Parses IPv6 text (RFC 4291 §2.2, including a trailing dotted quad) to 16 bytes, or undefined. */
function parseV6(text: string): Buffer | undefined {
  let head = text;
  let tail4: Buffer | undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    tail4 = parseV4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return undefined;
    out.writeUInt16BE(parseInt(all[i], 16), i * 2);
  }
  if (tail4) tail4.copy(out, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address to its 4 or 16 bytes, or undefined when it is not one. */
export function tryParseAddress(text: string): Buffer | undefined {
  return text.includes(':') ? parseV6(text) : parseV4(text);
}

/** Parses an IPv4 or IPv6 address to its 4 or 16 bytes; throws AddressError when invalid. */
export function parseAddress(text: string): Buffer {
  const bytes = tryParseAddress(text);
  if (!bytes) throw new AddressError(`not an IP address: '${text}'`);
  return bytes;
}

/** 4 or 6 for IPv4 or IPv6 address text (as `parseAddress` accepts it), 0 for anything else. */
export function isIpAddress(text: string): 0 | 4 | 6 {
  const b = tryParseAddress(text);
  return b ? (b.length === 4 ? 4 : 6) : 0;
}

/** The canonical text of an address (RFC 5952 for IPv6); throws AddressError when invalid. */
export function canonicalAddress(text: string): string {
  return formatAddress(parseAddress(text));
}

/** Formats 4 or 16 bytes as canonical text (RFC 5952: lower case, longest zero run as '::'). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new AddressError(`address must be 4 or 16 bytes, got ${bytes.length}`);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    // RFC 5952 §4.2.2: a single zero group is not shortened.
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/**
 * Zeroes every bit after the first `prefixLength` bits: a copy, written into the first
 * `bytes.length` bytes of `out` when given (no allocation on a query path).
 */
export function maskBytes(bytes: Uint8Array, prefixLength: number, out: Buffer = Buffer.alloc(bytes.length)): Buffer {
  const bits = bytes.length * 8;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    throw new AddressError(`prefix length ${prefixLength} out of range 0..${bits}`);
  }
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    out[i] = bytes[i] & (keep === 8 ? 0xff : (0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** `ADDR/LEN` of the network of `prefixLength` bits containing `bytes`. */
export function networkOf(bytes: Uint8Array, prefixLength: number): string {
  return `${formatAddress(maskBytes(bytes, prefixLength))}/${prefixLength}`;
}

/**
 * RFC 4291 §2.5.5.2: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) names an IPv4 host. Returns
 * the 4 IPv4 bytes for such an address (dual-stack sockets report IPv4 peers this way), else
 * the bytes unchanged.
 */
export function unmapV4<T extends Uint8Array>(bytes: T): T {
  return bytes.length === 16 && isV4MappedBytes(bytes) ? (bytes.subarray(12) as T) : bytes;
}

/**
 * True when IPv6 address bytes start ::ffff: (RFC 4291 §2.5.5.2), the IPv4-mapped form. Bytes
 * past the end of a short array count as 0: an ECS address (RFC 7871) is sent truncated to its
 * source prefix.
 */
export function isV4MappedBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if ((bytes[i] ?? 0) !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Address text as a dual-stack socket reports it, with an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) given as the IPv4 address; other text unchanged.
 */
export function unmapV4Text(text: string): string {
  if (!/^::ffff:/i.test(text)) return text;
  const b = tryParseAddress(text);
  return b ? formatAddress(unmapV4(b)) : text;
}

/** True when the first `prefixLength` bits of `a` and `b` (same length) are equal. */
export function samePrefix(a: Uint8Array, b: Uint8Array, prefixLength: number): boolean {
  if (a.length !== b.length) return false;
  const full = prefixLength >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full]! & mask) === (b[full]! & mask);
}

/** True when any bit after the first `prefixLength` bits is set (ADDR/LEN has host bits). */
export function hasHostBits(bytes: Uint8Array, prefixLength: number): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    const hostMask = keep === 8 ? 0 : 0xff >> keep;
    if ((bytes[i]! & hostMask) !== 0) return true;
  }
  return false;
}
