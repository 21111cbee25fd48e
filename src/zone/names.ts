import { EscapeError, decodeLabels } from './escapes';

/** A name that breaks RFC 1035 rules (label or name too long, bad escape). */
export class NameError extends Error {
  override readonly name = 'NameError';
  readonly code = 'E_ZONE_NAME';
}

/**
 * Parses a domain name as written in a master file (RFC 1035 §5.1): `@` is the origin,
 * a name ending in an unescaped dot is absolute, any other is relative to `origin`.
 * Returns the absolute name lower-case without the trailing dot ('' is the root).
 * RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255 octets in wire form.
 */
export function parseName(text: string, origin: string): string {
  if (text === '@') return origin;
  if (text === '.') return '';
  let labels: number[][];
  try {
    labels = decodeLabels(text);
  } catch (err) {
    if (err instanceof EscapeError) throw new NameError(`${err.message} in name '${text}'`);
    throw err;
  }
  const absolute = labels.length > 1 && (labels[labels.length - 1] as number[]).length === 0;
  if (absolute) labels.pop();
  const own = labels.map((l) => labelText(l, text));
  const all = absolute || origin === '' ? own : [...own, origin];
  const result = all.join('.');
  const wire = nameWireLength(result);
  if (wire > 255) {
    throw new NameError(`name '${text}' is ${wire} octets long in wire form; the limit is 255 (RFC 1035 §2.3.4)`);
  }
  return result;
}

/** Wire length of a name string as parseName returns it (escapes count as one octet). */
export function nameWireLength(name: string): number {
  if (name === '') return 1;
  // Each escape (`\.`, `\\`, `\DDD`) is one octet; the dots stand for the length octets,
  // plus one for the first label and one for the root.
  const plain = name.replace(/\\(\d{3}|.)/g, 'x');
  return plain.length + 2;
}

/**
 * One label in the canonical presentation form the DNS layer uses (src/dns/wire/name.ts):
 * lower-case; `.` and `\` escaped with a backslash; octets outside printable ASCII as `\DDD`
 * (RFC 1035 §5.1), so every label a zone file can write (Knot and BIND accept them) is served.
 */
function labelText(octets: number[], text: string): string {
  if (octets.length === 0) throw new NameError(`empty label in name '${text}'`);
  if (octets.length > 63) {
    throw new NameError(`label in name '${text}' is ${octets.length} octets long; the limit is 63 (RFC 1035 §2.3.4)`);
  }
  let out = '';
  for (let b of octets) {
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b === 0x2e || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out;
}

/** True when `name` is `apex` or below it. */
export function isInZone(name: string, apex: string): boolean {
  if (apex === '') return true;
  return name === apex || name.endsWith('.' + apex);
}

/**
 * The origin to resolve `text` against; fails when the name is relative and there is no
 * origin (absolute names and `.` never need one).
 */
export function requireOrigin(text: string, origin: string | undefined): string {
  if (origin !== undefined) return origin;
  if (text === '.' || /(^|[^\\])\.$/.test(text)) return '';
  throw new NameError(`relative name '${text}' but no origin: add $ORIGIN, pass an origin, or name the file <origin>.zone`);
}
