/**
 * EDNS options added to a finished reply, and the short replies of rate limiting (RFC 6891,
 * RFC 7873, RFC 7828). Pure: no networking, no configuration.
 */
import { FLAG, HEADER_SIZE, OPTION, TYPE } from './constants';

/**
 * Appends option `code` with `data` to the OPT record of `reply`, which must be the last record
 * with `optRdataLen` bytes of RDATA (as every reply the engine writes). Returns `reply` unchanged
 * when it has no such OPT or the option would push it past `limit`: these options are optional
 * data, and a reply is never truncated for them.
 */
export function appendOption(reply: Buffer, optRdataLen: number, code: number, data: Uint8Array, limit: number): Buffer {
  const rdlenAt = reply.length - optRdataLen - 2;
  const optAt = rdlenAt - 9;
  if (optAt < HEADER_SIZE || reply[optAt] !== 0 || reply.readUInt16BE(optAt + 1) !== TYPE.OPT || reply.readUInt16BE(rdlenAt) !== optRdataLen) {
    return reply;
  }
  const size = reply.length + 4 + data.length;
  if (size > limit) return reply;
  const out = Buffer.allocUnsafe(size);
  reply.copy(out, 0);
  out.writeUInt16BE(code, reply.length);
  out.writeUInt16BE(data.length, reply.length + 2);
  out.set(data, reply.length + 4);
  out.writeUInt16BE(optRdataLen + 4 + data.length, rdlenAt);
  return out;
}

/** The edns-tcp-keepalive option data: the idle timeout in units of 100 ms (RFC 7828 §3.1). */
export function keepaliveData(idleMs: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Math.max(0, Math.min(0xffff, Math.floor(idleMs / 100))), 0);
  return b;
}

/** What a short reply carries besides header and question. */
export interface ShortReplyOptions {
  /** The RCODE, extended ones (BADCOOKIE 23) included. */
  rcode: number;
  aa: boolean;
  tc: boolean;
  /** Present when the query had OPT: our UDP size, the DO bit, and a COOKIE option's data. */
  edns?: { udpSize: number; dnssecOk: boolean; cookie?: Uint8Array };
}

/**
 * Header, the question of `msg` (ending at `qnameEnd` + 4) and an OPT when asked: the reply a
 * rate limiter slips (TC=1: the client retries over TCP, RFC 7766 §5) or the BADCOOKIE reply of
 * RFC 7873 §5.2.3 with a fresh server cookie.
 */
export function shortReply(msg: Buffer, qnameEnd: number, o: ShortReplyOptions): Buffer {
  const qEnd = qnameEnd + 4;
  const optLen = o.edns ? 11 + (o.edns.cookie ? 4 + o.edns.cookie.length : 0) : 0;
  const out = Buffer.alloc(qEnd + optLen);
  msg.copy(out, 0, 0, 2);
  const qflags = msg.readUInt16BE(2);
  out.writeUInt16BE(FLAG.QR | (qflags & (0x7800 | FLAG.RD | FLAG.CD)) | (o.aa ? FLAG.AA : 0) | (o.tc ? FLAG.TC : 0) | (o.rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(o.edns ? 1 : 0, 10);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, qEnd);
  if (o.edns) {
    let at = qEnd;
    out[at++] = 0; // root owner
    out.writeUInt16BE(TYPE.OPT, at);
    out.writeUInt16BE(o.edns.udpSize, at + 2);
    // RFC 6891 §6.1.3: the upper 8 bits of the extended RCODE, version 0, DO copied.
    out[at + 4] = (o.rcode >> 4) & 0xff;
    out[at + 5] = 0;
    out.writeUInt16BE(o.edns.dnssecOk ? 0x8000 : 0, at + 6);
    out.writeUInt16BE(optLen - 11, at + 8);
    if (o.edns.cookie) {
      out.writeUInt16BE(OPTION.COOKIE, at + 10);
      out.writeUInt16BE(o.edns.cookie.length, at + 12);
      out.set(o.edns.cookie, at + 14);
    }
  }
  return out;
}
