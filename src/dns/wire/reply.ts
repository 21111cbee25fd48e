/**
 * Encodes replies: a ReplyPlan into wire bytes with RFC 6891 size limits and truncation, the
 * error replies (question and OPT echoed), and the ECS option appended to a cached reply.
 * Pure: no networking, no configuration.
 */
import { FLAG } from './constants';
import { ecsOptionLength, writeEcsOption } from './ecs';
import type { EcsOption } from './ecs';
import type { EdnsInfo, ParsedQuery } from './query';
import type { ExtendedError } from './ede';
import { MessageOverflow, MessageWriter } from './writer';
import type { WireRecord } from './writer';

/** The sections to encode (a subset of the resolver's ReplyPlan). */
export interface Sections {
  rcode: number;
  aa: boolean;
  answer: WireRecord[];
  authority: WireRecord[];
  additional: WireRecord[];
  referral: boolean;
  /** An Extended DNS Error for the OPT (RFC 8914), sent only when the query had OPT. */
  ede?: ExtendedError;
}

/** How to frame the reply. */
export interface FrameOptions {
  /** Largest reply allowed (512, the EDNS size, or 65535 over TCP). */
  limit: number;
  /** Present when the query had OPT: our advertised UDP size and the DO bit to copy. */
  edns?: { udpSize: number; dnssecOk: boolean };
}

/** An encoded reply; `optRdlenAt` is the offset of the OPT RDLENGTH (-1 without OPT), the OPT being last. */
export interface EncodedReply {
  bytes: Buffer;
  optRdlenAt: number;
  truncated: boolean;
}

const scratch = Buffer.alloc(2 * 65536 + 1024);
const writer = new MessageWriter(scratch);

/** Reply flags: QR, opcode and RD copied, RA=0 (no recursion). */
function replyFlags(queryFlags: number, rcode: number, aa: boolean, tc: boolean): number {
  return FLAG.QR | (queryFlags & (0x7800 | FLAG.RD | FLAG.CD)) | (aa ? FLAG.AA : 0) | (tc ? FLAG.TC : 0) | (rcode & 0xf);
}

function attempt(msg: Buffer, q: ParsedQuery, qname: string, s: Sections, o: FrameOptions, sections: 0 | 1 | 2): number {
  const w = writer;
  const tc = sections === 0;
  w.header(q.id, replyFlags(q.flags, s.rcode, s.aa, tc), 1, 0, 0, 0);
  w.question(msg, q.qnameEnd, qname);
  let an = 0, ns = 0, ar = 0;
  if (sections > 0) {
    for (const r of s.answer) { w.record(r); an++; }
    for (const r of s.authority) { w.record(r); ns++; }
    if (sections > 1) for (const r of s.additional) { w.record(r); ar++; }
  }
  let optAt = -1;
  if (o.edns) {
    optAt = w.opt(o.edns.udpSize, s.rcode >> 4, o.edns.dnssecOk);
    if (s.ede) w.ede(optAt, s.ede);
    ar++;
  }
  w.counts(an, ns, ar);
  return optAt;
}

/**
 * Encodes a reply within `o.limit`. RFC 2181 §9: if only optional additional data does not
 * fit it is left out without TC; if the answer or authority (or a referral's glue) does not fit,
 * the reply keeps only the question (and OPT) and sets TC=1 (RFC 1035 §4.1.1, RFC 6891 §7).
 */
export function encodeReply(msg: Buffer, q: ParsedQuery, qname: string, s: Sections, o: FrameOptions): EncodedReply {
  const tries: Array<0 | 1 | 2> = s.referral ? [2, 0] : [2, 1, 0];
  for (const level of tries) {
    let optAt: number;
    try {
      optAt = attempt(msg, q, qname, s, o, level);
    } catch (err) {
      if (err instanceof MessageOverflow) continue;
      throw err;
    }
    if (writer.off <= o.limit || level === 0) {
      return { bytes: Buffer.from(scratch.subarray(0, writer.off)), optRdlenAt: optAt, truncated: level === 0 };
    }
  }
  throw new Error('unreachable: truncated reply always fits');
}

/**
 * An error reply (FORMERR, NOTIMP, BADVERS, SERVFAIL) to a query the parser could not answer
 * normally: ID, opcode and RD copied; the question when it was read; an OPT (version 0, our
 * UDP size, the query's DO bit, the upper RCODE bits) whenever the query had one (RFC 6891 §7,
 * §6.1.3 for BADVERS).
 */
export function errorReply(msg: Buffer, e: { id: number; flags: number; rcode: number; query?: ParsedQuery; edns?: EdnsInfo }, udpSize: number): Buffer {
  const w = writer;
  const q = e.query;
  w.header(e.id, replyFlags(e.flags, e.rcode, false, false), q ? 1 : 0, 0, 0, 0);
  if (q) w.question(msg, q.qnameEnd, '');
  if (e.edns) w.opt(udpSize, e.rcode >> 4, e.edns.dnssecOk);
  w.counts(0, 0, e.edns ? 1 : 0);
  return Buffer.from(scratch.subarray(0, w.off));
}

/**
 * A copy of a cached reply for this query: ID and RD patched, the question name overwritten
 * with the client's bytes (0x20 case echo), and the ECS option appended with `scope`.
 */
export function patchCached(template: EncodedReply, msg: Buffer, q: ParsedQuery, ecs: EcsOption | undefined, scope: number): Buffer {
  const t = template.bytes;
  const extra = ecs && template.optRdlenAt >= 0 ? ecsOptionLength(ecs) : 0;
  const out = Buffer.allocUnsafe(t.length + extra);
  t.copy(out, 0);
  out[0] = msg[0];
  out[1] = msg[1];
  // Flags: RD is bit 0 of byte 2, CD is 0x10 of byte 3 (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
  out[2] = (out[2] & 0xfe) | (msg[2] & 0x01);
  out[3] = (out[3] & 0xef) | (msg[3] & 0x10);
  msg.copy(out, 12, 12, q.qnameEnd);
  if (extra > 0 && ecs) {
    writeEcsOption(out, t.length, ecs, scope);
    out.writeUInt16BE(out.readUInt16BE(template.optRdlenAt) + extra, template.optRdlenAt);
  }
  return out;
}

