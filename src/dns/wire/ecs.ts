import { formatAddress as formatIpAddress } from '../../util/ip';

/**
 * EDNS Client Subnet option (RFC 7871 §6): FAMILY(2) SOURCE PREFIX-LENGTH(1)
 * SCOPE PREFIX-LENGTH(1) ADDRESS(variable). Pure decode/validate/encode.
 */

/** A decoded, validated ECS option. */
export interface EcsOption {
  /** 1 = IPv4, 2 = IPv6 (RFC 7871 §6, address family numbers). */
  family: 1 | 2;
  sourcePrefix: number;
  scopePrefix: number;
  /**
   * ADDRESS exactly as received: ceil(sourcePrefix / 8) bytes. A view into the query (valid while
   * it is answered); `formatAddress` gives the string form when a responder needs it.
   */
  addressBytes: Buffer;
}

/** Decodes the option body `buf[off, off + len)`; returns the option or the reason it is malformed. */
export function decodeEcs(buf: Buffer, off: number, len: number): EcsOption | string {
  if (len < 4) return 'ECS option shorter than 4 bytes';
  const family = buf.readUInt16BE(off);
  const source = buf[off + 2];
  const scope = buf[off + 3];
  // RFC 7871 §6: FAMILY is an address family number; only IPv4 (1) and IPv6 (2) are defined here.
  if (family !== 1 && family !== 2) return `ECS family ${family} is not 1 (IPv4) or 2 (IPv6)`;
  const maxBits = family === 1 ? 32 : 128;
  if (source > maxBits) return `ECS source prefix ${source} exceeds ${maxBits}`;
  if (scope > maxBits) return `ECS scope prefix ${scope} exceeds ${maxBits}`;
  // RFC 7871 §6: ADDRESS holds exactly ceil(SOURCE PREFIX-LENGTH / 8) octets.
  const want = Math.ceil(source / 8);
  if (len - 4 !== want) return `ECS address has ${len - 4} bytes, source prefix ${source} needs ${want}`;
  // RFC 7871 §6: bits beyond SOURCE PREFIX-LENGTH MUST be zero.
  if (source % 8 !== 0) {
    const last = buf[off + 4 + want - 1];
    const mask = 0xff >> (source % 8);
    if ((last & mask) !== 0) return 'ECS address has non-zero bits beyond the source prefix';
  }
  return { family, sourcePrefix: source, scopePrefix: scope, addressBytes: buf.subarray(off + 4, off + 4 + want) };
}

/** Formats prefix bytes, padded with zero bytes, as address text (RFC 5952 for IPv6: '2001:db8::'). */
export function formatAddress(family: 1 | 2, bytes: Buffer): string {
  const full = Buffer.alloc(family === 1 ? 4 : 16);
  bytes.copy(full, 0, 0, Math.min(bytes.length, full.length));
  return formatIpAddress(full);
}

/** Length of the encoded option including its 4-byte code/length header. */
export function ecsOptionLength(ecs: EcsOption): number {
  return 4 + 4 + ecs.addressBytes.length;
}

/** Writes the option (code, length, body) with the given SCOPE at `off`; returns the new offset. */
export function writeEcsOption(buf: Buffer, off: number, ecs: EcsOption, scopePrefix: number): number {
  buf.writeUInt16BE(8, off);
  buf.writeUInt16BE(4 + ecs.addressBytes.length, off + 2);
  buf.writeUInt16BE(ecs.family, off + 4);
  buf[off + 6] = ecs.sourcePrefix;
  buf[off + 7] = Math.min(scopePrefix, ecs.family === 1 ? 32 : 128);
  ecs.addressBytes.copy(buf, off + 8);
  return off + 8 + ecs.addressBytes.length;
}
