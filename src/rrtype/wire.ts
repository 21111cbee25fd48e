/**
 * Small RDATA building blocks shared by the codecs: an append-only octet builder, uncompressed
 * names, RFC 4034 §4.1.2 type bitmaps. Pure.
 */
/** Appends octets; `done()` returns them as one Buffer. */
export class RdataBuilder {
  private parts: Buffer[] = [];

  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v, 0);
    this.parts.push(b);
    return this;
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0, 0);
    this.parts.push(b);
    return this;
  }

  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  /** A name as the zone parser gives it ('' is the root), uncompressed (RFC 3597 §4). */
  name(name: string): this {
    this.parts.push(nameToWire(name));
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Wire form of a zone-parser name ('' is the root), undoing its `\\.`, `\\\\` and `\\DDD` escapes. */
export function nameToWire(name: string): Buffer {
  if (name === '') return Buffer.from([0]);
  const out: number[] = [];
  let label: number[] = [];
  const end = (): void => {
    out.push(label.length, ...label);
    label = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        label.push(Number(d));
        i += 3;
      } else label.push(name.charCodeAt(++i));
    } else if (c === 0x2e) end();
    else label.push(c);
  }
  end();
  out.push(0);
  return Buffer.from(out);
}

/** RFC 4034 §4.1.2: the type bitmap of a set of codes (windows in order, trailing zeros cut). */
export function typeBitmap(codes: Iterable<number>): Buffer {
  const sorted = [...new Set(codes)].sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const win = (sorted[i] as number) >> 8;
    const bits = new Array<number>(32).fill(0);
    let len = 0;
    for (; i < sorted.length && (sorted[i] as number) >> 8 === win; i++) {
      const low = (sorted[i] as number) & 0xff;
      bits[low >> 3] = (bits[low >> 3] as number) | (0x80 >> (low & 7));
      len = (low >> 3) + 1;
    }
    out.push(win, len, ...bits.slice(0, len));
  }
  return Buffer.from(out);
}

/**
 * The TargetName of SVCB/HTTPS RDATA (RFC 9460 §2.2: priority, then an uncompressed name),
 * lower-case without the trailing dot ('' for the root); undefined when the octets are malformed.
 */
export function svcbTarget(rdata: Buffer): string | undefined {
  const labels: string[] = [];
  let i = 2;
  while (i < rdata.length) {
    const len = rdata[i] as number;
    if (len === 0) return labels.join('.');
    if (len > 63 || i + 1 + len > rdata.length) return undefined;
    labels.push(rdata.toString('latin1', i + 1, i + 1 + len).toLowerCase());
    i += 1 + len;
  }
  return undefined;
}
