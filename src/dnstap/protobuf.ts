/**
 * The few Protocol Buffers wire types dnstap needs (protobuf encoding guide: "Message
 * Structure"): a key is `(field << 3) | wire type`, as a varint; wire type 0 is a varint,
 * 2 length-delimited bytes, 5 a little-endian fixed32. The writer sizes a message first and
 * writes it into one buffer; the reader is for tests and tools (every read bounds-checked).
 */

/** Wire types used by dnstap.proto. */
export const WIRE = { VARINT: 0, BYTES: 2, FIXED32: 5 } as const;

/** Thrown for malformed protobuf input. */
export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
  readonly code = 'E_PROTOBUF';
}

/** Octets of `n` (a non-negative integer below 2^53) as a varint. */
export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Octets of a field's key. */
function keyLength(field: number): number {
  return varintLength(field << 3);
}

/** Bytes field: key, length, content. */
export function bytesFieldLength(field: number, len: number): number {
  return keyLength(field) + varintLength(len) + len;
}

/** Varint field. */
export function varintFieldLength(field: number, n: number): number {
  return keyLength(field) + varintLength(n);
}

/** Fixed32 field. */
export function fixed32FieldLength(field: number): number {
  return keyLength(field) + 4;
}

/** Writes fields into a buffer sized beforehand (the `*FieldLength` functions). */
export class ProtobufWriter {
  constructor(readonly buf: Buffer, public at = 0) {}

  varint(n: number): void {
    const b = this.buf;
    while (n >= 0x80) {
      b[this.at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[this.at++] = n;
  }

  key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  uint(field: number, n: number): void {
    this.key(field, WIRE.VARINT);
    this.varint(n);
  }

  bytes(field: number, data: Uint8Array): void {
    this.key(field, WIRE.BYTES);
    this.varint(data.length);
    this.buf.set(data, this.at);
    this.at += data.length;
  }

  /** Starts a length-delimited field of `len` octets whose content the caller writes next. */
  begin(field: number, len: number): void {
    this.key(field, WIRE.BYTES);
    this.varint(len);
  }

  fixed32(field: number, n: number): void {
    this.key(field, WIRE.FIXED32);
    this.buf.writeUInt32LE(n >>> 0, this.at);
    this.at += 4;
  }
}

/** One decoded field: a number for varint and fixed32, bytes for length-delimited. */
export interface ProtobufField {
  field: number;
  wire: number;
  value: number | Buffer;
}

/** Decodes the top-level fields of a message (nested messages stay bytes: decode them again). */
export function readFields(buf: Buffer): ProtobufField[] {
  const out: ProtobufField[] = [];
  let at = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (at >= buf.length) throw new ProtobufError(`varint runs past the end at ${at}`);
      const b = buf[at++];
      n += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return n;
      mul *= 128;
    }
    throw new ProtobufError(`varint longer than 8 octets at ${at}`);
  };
  while (at < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new ProtobufError('field number 0');
    if (wire === WIRE.VARINT) out.push({ field, wire, value: varint() });
    else if (wire === WIRE.BYTES) {
      const len = varint();
      if (at + len > buf.length) throw new ProtobufError(`field ${field}: ${len} octets run past the end`);
      out.push({ field, wire, value: buf.subarray(at, at + len) });
      at += len;
    } else if (wire === WIRE.FIXED32) {
      if (at + 4 > buf.length) throw new ProtobufError(`field ${field}: fixed32 runs past the end`);
      out.push({ field, wire, value: buf.readUInt32LE(at) });
      at += 4;
    } else throw new ProtobufError(`field ${field}: unsupported wire type ${wire}`);
  }
  return out;
}
