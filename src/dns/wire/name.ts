/**
 * Domain name helpers shared by the query parser and the response writer. Presentation names
 * are absolute, lower-case and without the trailing dot ('www.example.com'; the root is '').
 * Label bytes outside letters, digits, '-', '_' and '*' are written as RFC 1035 §5.1 escapes
 * (`\.`, `\\`, `\DDD`) so a name string always maps back to the same wire labels.
 */

/** Converts the uncompressed wire name in `buf[start, end)` to its lower-case presentation form. */
export function wireNameToText(buf: Buffer, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const len = buf[i];
    if (len === 0) break;
    if (out.length > 0) out += '.';
    for (let j = i + 1; j <= i + len; j++) {
      let c = buf[j];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2a) {
        out += String.fromCharCode(c);
      } else if (c === 0x2e || c === 0x5c) {
        out += '\\' + String.fromCharCode(c);
      } else if (c > 0x20 && c < 0x7f) {
        out += String.fromCharCode(c);
      } else {
        out += '\\' + String(c).padStart(3, '0');
      }
    }
    i += len + 1;
  }
  return out;
}

/** Splits a presentation name into its labels as raw bytes, undoing `\X` and `\DDD` escapes. */
export function textToLabels(name: string): Buffer[] {
  const labels: Buffer[] = [];
  if (name === '' || name === '.') return labels;
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch === 0x5c && i + 1 < name.length) {
      const d = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        cur.push(Number(d) & 0xff);
        i += 3;
      } else {
        cur.push(name.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else if (ch === 0x2e) {
      if (cur.length > 0) labels.push(Buffer.from(cur));
      cur = [];
    } else {
      cur.push(ch & 0xff);
    }
  }
  if (cur.length > 0) labels.push(Buffer.from(cur));
  return labels;
}

/** Strips one trailing dot and lower-cases ASCII: how names inside RDATA are compared. */
export function normalizeName(name: string): string {
  const n = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return n.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The parent of a presentation name ('a.b.c' → 'b.c', 'c' → ''), honouring `\.` escapes. */
export function parentName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch === 0x5c) i++;
    else if (ch === 0x2e) return name.slice(i + 1);
  }
  return '';
}

/** True when `name` equals `ancestor` or lies below it. */
export function isSubdomain(name: string, ancestor: string): boolean {
  if (ancestor === '') return true;
  if (name === ancestor) return true;
  return name.endsWith('.' + ancestor) && name.charCodeAt(name.length - ancestor.length - 2) !== 0x5c;
}

/** The lookup key of a presentation name: its wire form as a latin1 string, ASCII lower-cased (as the parser's `key`). */
export function nameKey(name: string): string {
  let k = '';
  for (const label of textToLabels(name)) k += String.fromCharCode(label.length) + label.toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase());
  return k + '\0';
}

/**
 * FNV-1a of the wire-format name `buf[from, to)` with ASCII upper case folded (RFC 4343 §3):
 * names that compare equal hash alike. Pure; the caller has checked the label framing.
 */
export function foldedNameHash(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    const c = buf[i];
    h = Math.imul(h ^ (c >= 0x41 && c <= 0x5a ? c | 0x20 : c), 0x01000193);
  }
  return h >>> 0;
}

/** True when `buf[from, to)` is the wire name `lower` (lower case) up to ASCII case. */
export function sameFoldedName(buf: Uint8Array, from: number, to: number, lower: Uint8Array): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = buf[from + i];
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower[i]) return false;
  }
  return true;
}
