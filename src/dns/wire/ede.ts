/**
 * Extended DNS Errors (RFC 8914): an EDNS option saying why a reply is what it is. Written
 * only into replies to queries that carried OPT (RFC 8914 §3). Pure.
 */
import { TYPE } from './constants';

/** EDNS option code of EDE (RFC 8914 §5.1). */
export const OPTION_EDE = 15;

/** The INFO-CODEs used here (RFC 8914 §4). */
export const EDE = {
  /** §4.19: the server is not authoritative for the name (REFUSED out of zone). */
  NOT_AUTHORITATIVE: 20,
  /** §4.19: the request is refused by policy (zone transfers here). */
  PROHIBITED: 18,
  /** §4.22: the query type is not supported. */
  NOT_SUPPORTED: 21,
} as const;

/** An EDE to send: INFO-CODE and optional EXTRA-TEXT (UTF-8, for humans, §2). */
export interface ExtendedError {
  code: number;
  text?: string;
}

/** Octets the option takes: 4 (code, length) + 2 (INFO-CODE) + the text. */
export function edeLength(e: ExtendedError): number {
  return 6 + (e.text ? Buffer.byteLength(e.text, 'utf8') : 0);
}

/** Writes the option at `off` (the buffer must have room); returns the offset after it. */
export function writeEde(buf: Buffer, off: number, e: ExtendedError): number {
  const text = e.text ? Buffer.from(e.text, 'utf8') : undefined;
  buf.writeUInt16BE(OPTION_EDE, off);
  buf.writeUInt16BE(2 + (text?.length ?? 0), off + 2);
  buf.writeUInt16BE(e.code, off + 4);
  text?.copy(buf, off + 6);
  return off + 6 + (text?.length ?? 0);
}

/**
 * The RDATA length of the OPT record of a reply whose OPT is its last record (every reply the
 * engine writes), found by walking the message; -1 when there is none. For code that appends
 * an option afterwards (NSID) and must know what the OPT already holds.
 */
export function optRdataLength(reply: Buffer): number {
  if (reply.length < 12) return -1;
  const counts = [4, 6, 8, 10].map((o) => reply.readUInt16BE(o)) as [number, number, number, number];
  let off = 12;
  const skipName = (): void => {
    for (;;) {
      if (off >= reply.length) throw new RangeError('name runs past the end');
      const len = reply[off] as number;
      if ((len & 0xc0) === 0xc0) {
        off += 2;
        return;
      }
      off += len + 1;
      if (len === 0) return;
    }
  };
  try {
    for (let i = 0; i < counts[0]; i++) {
      skipName();
      off += 4;
    }
    const rrs = counts[1] + counts[2] + counts[3];
    let last = -1;
    for (let i = 0; i < rrs; i++) {
      skipName();
      if (off + 10 > reply.length) return -1;
      const rdlen = reply.readUInt16BE(off + 8);
      last = reply.readUInt16BE(off) === TYPE.OPT ? rdlen : -1;
      off += 10 + rdlen;
    }
    return off === reply.length ? last : -1;
  } catch {
    return -1;
  }
}
