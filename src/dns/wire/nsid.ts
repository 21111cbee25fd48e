/**
 * NSID (RFC 5001): a server identifies itself in the OPT record of a reply when the query
 * asked with an empty NSID option — how an operator (and the anycast lab) tells which node of
 * an anycast fleet answered. Pure.
 */
import { OPTION } from './constants';
import { appendOption } from './options';

/**
 * Appends the NSID option to the OPT record of `reply`, which must be the last record with
 * `optRdataLen` bytes of RDATA (as every reply the engine writes). Returns `reply` unchanged when
 * it has no such OPT or the option would push it past `limit` (RFC 5001 §2.1: NSID is optional
 * data; a reply is never truncated for it).
 */
export function appendNsid(reply: Buffer, optRdataLen: number, nsid: Buffer, limit: number): Buffer {
  return appendOption(reply, optRdataLen, OPTION.NSID, nsid, limit);
}
