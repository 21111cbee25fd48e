/**
 * Frame Streams (fstrm, farsightsec/fstrm "Frame Streams Control Frames"): a byte stream of
 * frames. A data frame is a 4-octet big-endian length (non-zero) and that many octets. A
 * control frame starts with the escape, a zero length, then its own 4-octet length, the
 * 4-octet control type and its fields (4-octet field type, 4-octet length, content); the only
 * field is CONTENT_TYPE. Control frames are at most 512 octets.
 *
 * Bidirectional handshake (sockets): the writer sends READY with the content types it can
 * send, the reader answers ACCEPT with the ones it takes, the writer sends START with one,
 * then data frames; STOP from the writer, FINISH from the reader end it. A file is START,
 * data frames, STOP.
 */

/** Control frame types. */
export const CONTROL = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 } as const;
/** The one control field type: a content type string. */
export const FIELD_CONTENT_TYPE = 1;
/** Largest control frame a reader must accept (the escape and length words excluded). */
export const MAX_CONTROL_FRAME = 512;
/** The content type of dnstap payloads. */
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

/** Thrown for a malformed Frame Streams stream. */
export class FstrmError extends Error {
  override readonly name = 'FstrmError';
  readonly code = 'E_FSTRM';
}

/** A control frame. */
export interface ControlFrame {
  type: number;
  contentTypes: string[];
}

/** Encodes a control frame with its escape and length words. */
export function encodeControl(type: number, contentTypes: readonly string[] = []): Buffer {
  const fields = contentTypes.map((t) => Buffer.from(t, 'utf8'));
  const len = 4 + fields.reduce((a, f) => a + 8 + f.length, 0);
  if (len > MAX_CONTROL_FRAME) throw new FstrmError(`control frame of ${len} octets exceeds ${MAX_CONTROL_FRAME}`);
  const buf = Buffer.alloc(8 + len);
  buf.writeUInt32BE(0, 0);
  buf.writeUInt32BE(len, 4);
  buf.writeUInt32BE(type, 8);
  let at = 12;
  for (const f of fields) {
    buf.writeUInt32BE(FIELD_CONTENT_TYPE, at);
    buf.writeUInt32BE(f.length, at + 4);
    f.copy(buf, at + 8);
    at += 8 + f.length;
  }
  return buf;
}

/** Decodes a control frame's body (after the escape and length words). */
export function decodeControl(body: Buffer): ControlFrame {
  if (body.length < 4) throw new FstrmError(`control frame of ${body.length} octets has no type`);
  const type = body.readUInt32BE(0);
  const contentTypes: string[] = [];
  let at = 4;
  while (at < body.length) {
    if (at + 8 > body.length) throw new FstrmError('control field header runs past the frame');
    const ftype = body.readUInt32BE(at);
    const flen = body.readUInt32BE(at + 4);
    if (at + 8 + flen > body.length) throw new FstrmError('control field runs past the frame');
    if (ftype === FIELD_CONTENT_TYPE) contentTypes.push(body.toString('utf8', at + 8, at + 8 + flen));
    at += 8 + flen;
  }
  return { type, contentTypes };
}

/** A frame read from a stream. */
export type Frame = { control: ControlFrame } | { data: Buffer };

/**
 * Splits a byte stream into frames as it arrives: `push(chunk)` returns the frames completed
 * by it; a partial frame waits for the next chunk. Data frames longer than `maxData` and
 * control frames longer than MAX_CONTROL_FRAME throw FstrmError.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxData = 1 << 20) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    let at = 0;
    const b = this.buf;
    for (;;) {
      if (b.length - at < 4) break;
      const len = b.readUInt32BE(at);
      if (len !== 0) {
        if (len > this.maxData) throw new FstrmError(`data frame of ${len} octets exceeds ${this.maxData}`);
        if (b.length - at < 4 + len) break;
        out.push({ data: b.subarray(at + 4, at + 4 + len) });
        at += 4 + len;
        continue;
      }
      if (b.length - at < 8) break;
      const clen = b.readUInt32BE(at + 4);
      if (clen > MAX_CONTROL_FRAME) throw new FstrmError(`control frame of ${clen} octets exceeds ${MAX_CONTROL_FRAME}`);
      if (b.length - at < 8 + clen) break;
      out.push({ control: decodeControl(b.subarray(at + 8, at + 8 + clen)) });
      at += 8 + clen;
    }
    this.buf = at === b.length ? Buffer.alloc(0) : b.subarray(at);
    return out;
  }

  /** Octets of an unfinished frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/**
 * Reads a Frame Streams file (as `fstrm_capture -w` writes): START with `contentType`, data
 * frames, STOP. Returns the data frames; FstrmError when the file is cut short or not of that type.
 */
export function readFrameFile(bytes: Buffer, contentType = DNSTAP_CONTENT_TYPE): Buffer[] {
  const r = new FrameReader();
  const frames = r.push(bytes);
  if (r.pending > 0) throw new FstrmError(`${r.pending} octets of an unfinished frame at the end`);
  const first = frames[0];
  if (!first || !('control' in first) || first.control.type !== CONTROL.START) throw new FstrmError('the file does not start with a START control frame');
  if (first.control.contentTypes.length > 0 && !first.control.contentTypes.includes(contentType)) throw new FstrmError(`content type ${first.control.contentTypes.join(', ')}, expected ${contentType}`);
  const data: Buffer[] = [];
  for (const f of frames.slice(1)) {
    if ('data' in f) data.push(f.data);
    else if (f.control.type === CONTROL.STOP) return data;
    else throw new FstrmError(`unexpected control frame ${f.control.type} in a file`);
  }
  throw new FstrmError('the file ends without a STOP control frame');
}
