/**
 * Decodes RFC 1035 §5.1 escapes in a token: `\X` is the character X taken literally,
 * `\DDD` is the octet with decimal value DDD. `splitDots` splits on unescaped dots (names).
 */

/** Thrown by the decoders; the parser turns it into a positioned SourceError. */
export class EscapeError extends Error {
  override readonly name = 'EscapeError';
  readonly code = 'E_ZONE_ESCAPE';
  /** 0-based offset of the bad escape inside the token text. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** Decodes a whole token to octets. */
export function decodeOctets(text: string): Buffer {
  return Buffer.from(decodeParts(text, false)[0] ?? []);
}

/**
 * Decodes a name token into its labels' octets, splitting on unescaped dots.
 * `a\.b.c` gives [[a . b], [c]]; a trailing unescaped dot gives a final empty label.
 */
export function decodeLabels(text: string): number[][] {
  return decodeParts(text, true);
}

function decodeParts(text: string, splitDots: boolean): number[][] {
  const parts: number[][] = [[]];
  let cur = parts[0] as number[];
  for (let i = 0; i < text.length; ) {
    const c = text[i] as string;
    if (c === '\\') {
      if (i + 1 >= text.length) throw new EscapeError("'\\' at the end of a word escapes nothing", i);
      const d = text.slice(i + 1, i + 4);
      if (/^\d/.test(d)) {
        if (!/^\d{3}$/.test(d)) throw new EscapeError(`'\\${d}' must be three decimal digits (\\DDD)`, i);
        const v = Number(d);
        if (v > 255) throw new EscapeError(`'\\${d}' is not an octet (0-255)`, i);
        cur.push(v);
        i += 4;
      } else {
        pushChar(cur, text.codePointAt(i + 1) as number);
        i += (text.codePointAt(i + 1) as number) > 0xffff ? 3 : 2;
      }
    } else if (c === '.' && splitDots) {
      cur = [];
      parts.push(cur);
      i++;
    } else {
      const cp = text.codePointAt(i) as number;
      pushChar(cur, cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return parts;
}

function pushChar(out: number[], cp: number): void {
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
}
