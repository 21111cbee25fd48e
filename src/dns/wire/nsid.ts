/**
 * NSID (RFC 5001): a server identifies itself in the OPT record of a reply when the query
 * asked with an empty NSID option — how an operator (and the anycast lab) tells which node of
 * an anycast fleet answered. Pure.
 */
import { OPTION, TYPE } from './constants';

/**
 * Appends the NSID option to the OPT record of `reply`, which must be the last record with
 * `optRdataLen` bytes of RDATA (as every reply the engine writes). Returns `reply` unchanged when
 * it has no such OPT or the option would push it past `limit` (RFC 5001 §2.1: NSID is optional
 * data; a reply is never truncated for it).
 */
export function appendNsid(reply: Buffer, optRdataLen: number, nsid: Buffer, limit: number): Buffer {
  const rdlenAt = reply.length - optRdataLen - 2;
  const optAt = rdlenAt - 9;
  if (optAt < 12 || reply[optAt] !== 0 || reply.readUInt16BE(optAt + 1) !== TYPE.OPT || reply.readUInt16BE(rdlenAt) !== optRdataLen) {
    return reply;
  }
  const size = reply.length + 4 + nsid.length;
  if (size > limit) return reply;
  const out = Buffer.allocUnsafe(size);
  reply.copy(out, 0);
  out.writeUInt16BE(OPTION.NSID, reply.length);
  out.writeUInt16BE(nsid.length, reply.length + 2);
  nsid.copy(out, reply.length + 4);
  out.writeUInt16BE(optRdataLen + 4 + nsid.length, rdlenAt);
  return out;
}
