import { formatAddress, tryParseAddress } from '../../util/ip';
import { CodecInputError } from './errors';

/**
 * Address bytes for the BGP codec: src/util/ip.ts with the codec's error type. A zone index
 * (`fe80::1%eth0`, as sockets report link-local peers) is dropped.
 */
export function parseIp(text: string): Buffer {
  const bytes = tryParseAddress(text.split('%')[0] ?? '');
  if (!bytes) throw new CodecInputError(`invalid IP address: ${text}`);
  return bytes;
}

/** Formats 4 or 16 address bytes as text (IPv6 in RFC 5952 shortest form). */
export function formatIp(bytes: Buffer): string {
  if (bytes.length !== 4 && bytes.length !== 16) throw new CodecInputError(`address must be 4 or 16 bytes, got ${bytes.length}`);
  return formatAddress(bytes);
}
