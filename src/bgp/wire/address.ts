import { isIPv4, isIPv6 } from 'node:net';
import { formatAddress } from '../../util/ip';
import { CodecInputError } from './errors';

/** Parses a dotted IPv4 or textual IPv6 address into 4 or 16 bytes. */
export function parseIp(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map((p) => Number(p)));
  if (!isIPv6(text)) throw new CodecInputError(`invalid IP address: ${text}`);
  let s = text.split('%')[0] ?? '';
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    s = s.slice(0, v4.index) + ((b[0]! << 8) | b[1]!).toString(16) + ':' + ((b[2]! << 8) | b[3]!).toString(16);
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Formats 4 or 16 address bytes as text (IPv6 in RFC 5952 shortest form). */
export function formatIp(bytes: Buffer): string {
  if (bytes.length !== 4 && bytes.length !== 16) throw new CodecInputError(`address must be 4 or 16 bytes, got ${bytes.length}`);
  return formatAddress(bytes);
}
