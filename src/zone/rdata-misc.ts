/**
 * Presentation parsers producing RDATA octets (kind `raw` in src/rrtype) for SPF, LOC, RP,
 * URI, SMIMEA and OPENPGPKEY.
 */
import { RdataBuilder } from '../rrtype/wire';
import type { RdataReader } from './rdata-reader';
import { decodeOctets } from './escapes';
import { ValueError } from './values';

/** SPF (RFC 7208 §3.1, RFC 4408 §3.1.1): one or more character-strings, as TXT. */
export function spf(r: RdataReader): Buffer {
  const b = new RdataBuilder();
  do {
    const s = r.charString('character-string');
    b.u8(s.length).bytes(s);
  } while (r.more());
  return b.done();
}

/** RP (RFC 1183 §2.2): mailbox name, TXT name. */
export function rp(r: RdataReader): Buffer {
  return new RdataBuilder().name(r.name('mailbox (mbox-dname)')).name(r.name('TXT name (txt-dname)')).done();
}

/** URI (RFC 7553 §4.5): priority, weight, target as one quoted string (non-empty). */
export function uri(r: RdataReader): Buffer {
  const b = new RdataBuilder().u16(r.uint('priority', 16)).u16(r.uint('weight', 16));
  const t = r.peek();
  const target = r.field('target', (s, tok) => {
    if (!tok.quoted) throw new ValueError('URI target must be a quoted string (RFC 7553 §4.5)');
    return decodeOctets(s);
  });
  if (target.length === 0 && t) throw r.errorAt(t, 'URI target is empty (RFC 7553 §4.5)');
  return b.bytes(target).done();
}

/** SMIMEA (RFC 8162 §2, TLSA's format): usage, selector, matching type, hex data. */
export function smimea(r: RdataReader): Buffer {
  const b = new RdataBuilder().u8(r.uint('certificate usage', 8)).u8(r.uint('selector', 8)).u8(r.uint('matching type', 8));
  return b.bytes(r.hexRest('certificate association data')).done();
}

/** OPENPGPKEY (RFC 7929 §2.3): the key in base64. */
export function openpgpkey(r: RdataReader): Buffer {
  return r.base64Rest('public key');
}

/** RFC 1876 §3: a size or precision in centimetres as a 4-bit mantissa and 4-bit power of ten. */
function precision(cm: number): number {
  let exp = 0;
  while (exp < 9 && cm >= 10 ** (exp + 1)) exp++;
  const mant = Math.min(9, Math.floor(cm / 10 ** exp));
  return (mant << 4) | exp;
}

/** Metres with up to two decimals and an optional `m`, as centimetres within [min, max] metres. */
function metres(text: string, what: string, min: number, max: number): number {
  const m = /^(-?\d+)(?:\.(\d{1,2}))?m?$/i.exec(text);
  if (!m) throw new ValueError(`invalid LOC ${what} '${text}' (metres, e.g. 10m or 2.50)`);
  const neg = (m[1] as string).startsWith('-');
  const cm = Math.abs(Number(m[1])) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
  const v = neg ? -cm : cm;
  if (v < min * 100 || v > max * 100) throw new ValueError(`LOC ${what} '${text}' is out of range (${min} to ${max} m)`);
  return v;
}

/**
 * LOC (RFC 1876 §3): `d [m [s.sss]] N|S d [m [s.sss]] E|W alt[m] [size[m] [hp[m] [vp[m]]]]`.
 * Defaults: size 1m, horizontal precision 10000m, vertical precision 10m.
 */
export function loc(r: RdataReader): Buffer {
  const coord = (hemis: string, maxDeg: number, what: string): number => {
    const parts: string[] = [];
    let hemi = '';
    const first = r.peek();
    for (let k = 0; k < 4; k++) {
      const t = r.next(what);
      const up = t.text.toUpperCase();
      if (hemis.includes(up) && up.length === 1) {
        hemi = up;
        break;
      }
      if (k === 3) throw r.errorAt(t, `expected ${hemis.split('').join(' or ')} in the LOC ${what}`);
      parts.push(t.text);
    }
    if (parts.length === 0) throw r.errorAt(first!, `LOC ${what} has no degrees`);
    const [d, m = '0', s = '0'] = parts as [string, string?, string?];
    if (!/^\d+$/.test(d) || !/^\d+$/.test(m) || !/^\d+(\.\d{1,3})?$/.test(s)) throw new ValueError(`invalid LOC ${what} '${parts.join(' ')}'`);
    const [deg, min, sec] = [Number(d), Number(m), Number(s)];
    if (deg > maxDeg || min > 59 || sec >= 60 || (deg === maxDeg && (min > 0 || sec > 0))) {
      throw new ValueError(`LOC ${what} '${parts.join(' ')}' is out of range`);
    }
    const ms = Math.round(((deg * 60 + min) * 60 + sec) * 1000);
    // RFC 1876 §2: 2^31 is the equator / prime meridian; north and east are above it.
    return hemi === 'N' || hemi === 'E' ? 2 ** 31 + ms : 2 ** 31 - ms;
  };
  const start = r.peek();
  let lat: number, lon: number;
  try {
    lat = coord('NS', 90, 'latitude');
    lon = coord('EW', 180, 'longitude');
  } catch (err) {
    if (err instanceof ValueError && start) throw r.errorAt(start, err.message);
    throw err;
  }
  // RFC 1876 §2: altitude in centimetres above a base 100,000 m below the WGS 84 spheroid.
  const alt = r.field('altitude', (s) => metres(s, 'altitude', -100000, 42849672.95)) + 10000000;
  const opt = (what: string, dflt: number): number => (r.more() ? r.field(what, (s) => metres(s, what, 0, 90000000)) : dflt * 100);
  const size = opt('size', 1);
  const hp = opt('horizontal precision', 10000);
  const vp = opt('vertical precision', 10);
  return new RdataBuilder().u8(0).u8(precision(size)).u8(precision(hp)).u8(precision(vp)).u32(lat).u32(lon).u32(alt).done();
}
