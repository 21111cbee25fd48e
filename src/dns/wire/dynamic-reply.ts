/**
 * The fast path for dynamic answers: a reply assembled from per-record pre-encoded bytes
 * (owner as a pointer to the question, TYPE, CLASS, TTL, RDATA), so a pick costs a few copies.
 * Records and records lists are treated as immutable: their bytes are cached per object.
 * Pure: no networking, no configuration.
 */
import type { ZoneRecord } from '../../zone/types';
import { FLAG } from './constants';
import { ecsOptionLength } from './ecs';
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

/** The answer section of each records list: its RRs' bytes one after the other, null for SLOW_TYPES. */
const listCache = new WeakMap<ZoneRecord[], Uint8Array | null>();

/** The encoded answer section of `records` (lists are treated as immutable, as their records). */
function answerSection(records: ZoneRecord[]): Uint8Array | null {
  let b = listCache.get(records);
  if (b !== undefined) return b;
  const parts: Buffer[] = [];
  for (const r of records) {
    const rr = rrBytes(r);
    if (!rr) {
      listCache.set(records, null);
      return null;
    }
    parts.push(rr);
  }
  b = Buffer.concat(parts);
  listCache.set(records, b);
  return b;
}

/**
 * Writes into `out` at `at` an AA NOERROR reply to the query at `msg[start, …)` whose header and
 * question end at `start + qEnd`: `records` (all owned by the question name) in the answer
 * section, and when `ednsSize` ≥ 0 an OPT (that UDP size, DO = `dnssecOk`) with, when
 * `ecsSource` ≥ 0, the query's ECS option (its ADDRESS at `ecsSrc[ecsAt]`) with SCOPE `scope`.
 * Returns the reply's length, or -1 when the general path must build it: a type needing names
 * or additional data, a reply larger than `limit` (truncation) or than the room left in `out`.
 * Nothing is allocated.
 */
export function writeDynamicReply(
  out: Uint8Array,
  at: number,
  msg: Uint8Array,
  start: number,
  qEnd: number,
  records: ZoneRecord[],
  limit: number,
  ednsSize: number,
  dnssecOk: boolean,
  ecsFamily: number,
  ecsSource: number,
  ecsSrc: Uint8Array,
  ecsAt: number,
  scope: number,
): number {
  const section = answerSection(records);
  if (section === null) return -1;
  let size = qEnd + section.length;
  const ecsBytes = ednsSize >= 0 && ecsSource >= 0 ? (ecsSource + 7) >> 3 : -1;
  if (ednsSize >= 0) size += 11 + (ecsBytes >= 0 ? 8 + ecsBytes : 0);
  if (size > limit || at + size > out.length) return -1;
  for (let i = 0; i < qEnd; i++) out[at + i] = msg[start + i];
  // QR, AA, and the query's RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.1.6); opcode 0, RCODE 0.
  out[at + 2] = (FLAG.QR | FLAG.AA | ((msg[start + 2] << 8) & FLAG.RD)) >> 8;
  out[at + 3] = msg[start + 3] & FLAG.CD;
  out[at + 4] = 0;
  out[at + 5] = 1;
  out[at + 6] = records.length >> 8;
  out[at + 7] = records.length & 0xff;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
  out[at + 11] = ednsSize >= 0 ? 1 : 0;
  let off = at + qEnd;
  for (let i = 0; i < section.length; i++) out[off + i] = section[i];
  off += section.length;
  if (ednsSize >= 0) {
    // RFC 6891 §6.1.2: root owner, TYPE 41, CLASS = our UDP size, TTL = ext-rcode/version/DO.
    const rdlen = ecsBytes >= 0 ? 8 + ecsBytes : 0;
    out[off] = 0;
    out[off + 1] = 0;
    out[off + 2] = 41;
    out[off + 3] = ednsSize >> 8;
    out[off + 4] = ednsSize & 0xff;
    out[off + 5] = 0;
    out[off + 6] = 0;
    out[off + 7] = dnssecOk ? 0x80 : 0;
    out[off + 8] = 0;
    out[off + 9] = rdlen >> 8;
    out[off + 10] = rdlen & 0xff;
    off += 11;
    if (ecsBytes >= 0) {
      // RFC 7871 §6: the query's FAMILY, SOURCE and ADDRESS, our SCOPE.
      out[off] = 0;
      out[off + 1] = 8;
      out[off + 2] = 0;
      out[off + 3] = 4 + ecsBytes;
      out[off + 4] = 0;
      out[off + 5] = ecsFamily;
      out[off + 6] = ecsSource;
      out[off + 7] = Math.min(scope, ecsFamily === 1 ? 32 : 128);
      for (let i = 0; i < ecsBytes; i++) out[off + 8 + i] = ecsSrc[ecsAt + i];
    }
  }
  return size;
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
  let size = q.qnameEnd + 4;
  for (let i = 0; i < records.length; i++) {
    const b = rrBytes(records[i]);
    if (!b) return undefined;
    size += b.length;
  }
  if (edns) size += 11 + (ecs ? ecsOptionLength(ecs) : 0);
  if (size > limit) return undefined;
  const out = Buffer.allocUnsafe(size);
  const n = writeDynamicReply(out, 0, msg, 0, q.qnameEnd + 4, records, limit, edns ? edns.udpSize : -1, edns?.dnssecOk ?? false, ecs?.family ?? 0, ecs && edns ? ecs.sourcePrefix : -1, ecs ? ecs.addressBytes : msg, 0, scope);
  return n === size ? out : undefined;
}
