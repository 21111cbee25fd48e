import { OtlpDecodeError } from './types';

/**
 * Protocol Buffers wire-format reader (https://protobuf.dev/programming-guides/encoding/):
 * tags, varints, fixed 32/64-bit and length-delimited fields, every read bounds-checked.
 * Groups (wire types 3 and 4) are deprecated and rejected.
 */
export class ProtoReader {
  private pos: number;
  private readonly end: number;

  constructor(private readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  /** True while bytes remain. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** Reads a tag: field number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    const field = Number(t >> 3n);
    const wire = Number(t & 7n);
    if (field === 0) throw new OtlpDecodeError('protobuf: field number 0');
    return { field, wire };
  }

  /** Reads a base-128 varint of at most 10 bytes as an unsigned 64-bit bigint. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new OtlpDecodeError('protobuf: varint longer than 10 bytes');
  }

  /** An int32/int64/enum varint as a (two's complement) JS number. */
  int(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  /** A bool varint. */
  bool(): boolean {
    return this.varint() !== 0n;
  }

  private take(n: number): number {
    if (n < 0 || this.pos + n > this.end) throw new OtlpDecodeError(`protobuf: field runs past the end (${n} bytes)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** fixed64 as unsigned bigint. */
  fixed64(): bigint {
    const at = this.take(8);
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + at, 8).readBigUInt64LE(0);
  }

  /** sfixed64 as a JS number. */
  sfixed64(): number {
    return Number(BigInt.asIntN(64, this.fixed64()));
  }

  /** double (wire type 1). */
  double(): number {
    const at = this.take(8);
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + at, 8).readDoubleLE(0);
  }

  /** A length-delimited field as a sub-reader over its bytes. */
  sub(): ProtoReader {
    const n = Number(this.varint());
    const at = this.take(n);
    return new ProtoReader(this.buf, at, at + n);
  }

  /** A length-delimited field as bytes. */
  bytes(): Uint8Array {
    const n = Number(this.varint());
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  /** A length-delimited field as UTF-8 text; invalid UTF-8 is a decode error (proto3 `string`). */
  string(): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes());
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw err;
      throw new OtlpDecodeError('protobuf: string field is not valid UTF-8');
    }
  }

  /** Skips one field of the given wire type (unknown fields are ignored, as proto3 requires). */
  skip(wire: number): void {
    switch (wire) {
      case 0: this.varint(); return;
      case 1: this.take(8); return;
      case 2: this.take(Number(this.varint())); return;
      case 5: this.take(4); return;
      default: throw new OtlpDecodeError(`protobuf: unsupported wire type ${wire}`);
    }
  }

  /** Checks a known field arrived with the wire type its schema says. */
  expect(wire: number, want: number, what: string): void {
    if (wire !== want) throw new OtlpDecodeError(`protobuf: ${what} has wire type ${wire}, want ${want}`);
  }
}
