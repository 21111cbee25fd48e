/**
 * IP address helpers: parsing to bytes, canonical text (RFC 5952), masking to a network, and
 * IPv4-mapped IPv6. Pure; no networking. Used by geo lookups, the datacenter pick and BGP.
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

/** Parses an IPv4 or IPv6 address to its 4 or 16 bytes; throws AddressError when invalid. */
export function parseAddress(text: string): Buffer {
  const bytes = text.includes(':') ? parseV6(text) : parseV4(text);
  if (!bytes) throw new AddressError(`not an IP address: '${text}'`);
  return bytes;
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
  if (bytes.length !== 16) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  return bytes.subarray(12) as T;
}
