/**
 * The fast path for dynamic answers: a reply assembled from per-record pre-encoded bytes
 * (owner as a pointer to the question, TYPE, CLASS, TTL, RDATA), so a pick costs a few copies.
 * Records are treated as immutable: their bytes are cached per record object.
 * Pure: no networking, no configuration.
 */
import type { ZoneRecord } from '../../zone/types';
import { FLAG } from './constants';
import { ecsOptionLength, writeEcsOption } from './ecs';
import type { EcsOption } from './ecs';
import type { ParsedQuery } from './query';
import { rdataBytes, typeCode } from './writer';

/** Types whose RDATA holds names (compression) or that need additional-section processing. */
const SLOW_TYPES = new Set(['NS', 'CNAME', 'PTR', 'DNAME', 'MX', 'SOA', 'SRV']);
const rrCache = new WeakMap<ZoneRecord, Buffer>();

/** The encoded RR with its owner as 0xC00C (the question name), or undefined for SLOW_TYPES. */
function rrBytes(rec: ZoneRecord): Buffer | undefined {
  let b = rrCache.get(rec);
  if (b) return b;
  if (SLOW_TYPES.has(rec.type)) return undefined;
  const rd = rdataBytes(rec);
  b = Buffer.alloc(10 + rd.length);
  b.writeUInt16BE(0xc00c, 0);
  b.writeUInt16BE(typeCode(rec.type), 2);
  b.writeUInt16BE(1, 4);
  b.writeUInt32BE(rec.ttl >>> 0, 6);
  rd.copy(b, 10);
  rrCache.set(rec, b);
  return b;
}

/**
 * An AA NOERROR reply with `records` (all owned by the question name) in the answer section, OPT
 * and ECS (with `scope`) when the query had EDNS. Undefined when the general path must build it:
 * a type needing names or additional data, or a reply larger than `limit` (truncation).
 */
export function encodeDynamicReply(
  msg: Buffer,
  q: ParsedQuery,
  records: ZoneRecord[],
  limit: number,
  edns: { udpSize: number; dnssecOk: boolean } | undefined,
  ecs: EcsOption | undefined,
  scope: number,
): Buffer | undefined {
  const qEnd = q.qnameEnd + 4;
  let size = qEnd;
  // Sizes first, without collecting: a pick has a record or two (the first-seen client path).
  for (let i = 0; i < records.length; i++) {
    const b = rrBytes(records[i]);
    if (!b) return undefined;
    size += b.length;
  }
  const ecsLen = edns && ecs ? ecsOptionLength(ecs) : 0;
  if (edns) size += 11 + ecsLen;
  if (size > limit) return undefined;
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < qEnd; i++) out[i] = msg[i];
  const flags = FLAG.QR | FLAG.AA | (q.flags & (FLAG.RD | FLAG.CD));
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[4] = 0;
  out[5] = 1;
  out[6] = records.length >> 8;
  out[7] = records.length & 0xff;
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out[11] = edns ? 1 : 0;
  let off = qEnd;
  for (let i = 0; i < records.length; i++) {
    const b = rrCache.get(records[i])!;
    out.set(b, off);
    off += b.length;
  }
  if (edns) {
    // RFC 6891 §6.1.2: root owner, TYPE 41, CLASS = our UDP size, TTL = ext-rcode/version/DO.
    out[off] = 0;
    out.writeUInt16BE(41, off + 1);
    out.writeUInt16BE(edns.udpSize, off + 3);
    out.writeUInt32BE(edns.dnssecOk ? 0x8000 : 0, off + 5);
    out.writeUInt16BE(ecsLen, off + 9);
    if (ecs) writeEcsOption(out, off + 11, ecs, scope);
  }
  return out;
}
