/**
 * SVCB and HTTPS (RFC 9460): `priority target key[=value]…`, encoded to RDATA octets
 * (kind `raw` in src/rrtype) with the SvcParams sorted by key and checked as §2.2, §7 and §8 ask.
 */
import { RdataBuilder } from '../rrtype/wire';
import { decodeOctets } from './escapes';
import type { Token } from './lexer';
import type { RdataReader } from './rdata-reader';
import { ValueError, parseBase64, parseIPv4, parseIPv6 } from './values';

/** RFC 9460 §14.3.2 registry, plus dohpath (RFC 9461) and ohttp (RFC 9540). */
const KEYS: Record<string, number> = {
  mandatory: 0, alpn: 1, 'no-default-alpn': 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6, dohpath: 7, ohttp: 8,
};
const KEY_NAMES = Object.fromEntries(Object.entries(KEYS).map(([k, v]) => [v, k])) as Record<number, string>;

/** A SvcParamKey by name or `keyNNNNN` (§2.1); 65535 is reserved ("invalid key"). */
function keyCode(name: string): number {
  const known = KEYS[name];
  if (known !== undefined) return known;
  const m = /^key(\d{1,5})$/.exec(name);
  if (!m) throw new ValueError(`unknown SvcParamKey '${name}' (RFC 9460 §14.3.2; unnamed keys are written keyNNNNN)`);
  const n = Number(m[1]);
  if (n > 65535 || String(n) !== m[1]) throw new ValueError(`SvcParamKey '${name}' is not a valid keyNNNNN`);
  if (n === 65535) throw new ValueError('key65535 is reserved ("invalid key", RFC 9460 §14.3.2)');
  return n;
}

const keyName = (k: number): string => KEY_NAMES[k] ?? `key${k}`;

/** Appendix A.1 value-list: comma-separated items; `\,` and `\\` inside an item. */
function valueList(v: Buffer, what: string): Buffer[] {
  const items: number[][] = [[]];
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as number;
    if (c === 0x5c && i + 1 < v.length) items[items.length - 1]!.push(v[++i] as number);
    else if (c === 0x2c) items.push([]);
    else items[items.length - 1]!.push(c);
  }
  if (items.some((it) => it.length === 0)) throw new ValueError(`${what} has an empty item`);
  return items.map((it) => Buffer.from(it));
}

/** Encodes one SvcParam value from its presentation (already char-string decoded). */
function paramValue(key: number, value: Buffer | undefined, name: string): Buffer {
  const needs = (): Buffer => {
    if (value === undefined || value.length === 0) throw new ValueError(`SvcParam '${name}' needs a value`);
    return value;
  };
  switch (key) {
    case 0: {
      const keys = valueList(needs(), 'mandatory').map((k) => keyCode(k.toString('latin1')));
      // RFC 9460 §8: "mandatory" must not list itself, nor a key twice.
      if (keys.includes(0)) throw new ValueError('mandatory must not list "mandatory" (RFC 9460 §8)');
      if (new Set(keys).size !== keys.length) throw new ValueError('mandatory lists a key twice (RFC 9460 §8)');
      const b = new RdataBuilder();
      for (const k of keys.sort((x, y) => x - y)) b.u16(k);
      return b.done();
    }
    case 1: {
      const b = new RdataBuilder();
      for (const id of valueList(needs(), 'alpn')) {
        if (id.length > 255) throw new ValueError('an alpn-id is at most 255 octets (RFC 9460 §7.1.1)');
        b.u8(id.length).bytes(id);
      }
      return b.done();
    }
    case 2:
    case 8:
      if (value !== undefined) throw new ValueError(`SvcParam '${name}' takes no value (RFC 9460 §7.1.1)`);
      return Buffer.alloc(0);
    case 3: {
      const s = needs().toString('latin1');
      if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new ValueError(`invalid port '${s}' (0-65535)`);
      return new RdataBuilder().u16(Number(s)).done();
    }
    case 4:
    case 6: {
      const b = new RdataBuilder();
      for (const a of needs().toString('latin1').split(',')) {
        if (key === 4) b.bytes(Buffer.from(parseIPv4(a).split('.').map(Number)));
        else b.bytes(ipv6Bytes(parseIPv6(a)));
      }
      return b.done();
    }
    case 5:
      return parseBase64(needs().toString('latin1'), 'ech (base64 ECHConfigList)');
    case 7: {
      // RFC 9461 §5: a URI template, UTF-8.
      const s = needs();
      if (Buffer.from(s.toString('utf8'), 'utf8').compare(s) !== 0) throw new ValueError('dohpath must be UTF-8');
      return s;
    }
    default:
      return value ?? Buffer.alloc(0);
  }
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** `key=value` tokens: `alpn="h2,h3"` arrives as `alpn=` plus an adjacent quoted token. */
function params(r: RdataReader): { key: number; name: string; value: Buffer | undefined; tok: Token }[] {
  const out: { key: number; name: string; value: Buffer | undefined; tok: Token }[] = [];
  while (r.more()) {
    const tok = r.next('SvcParam');
    const text = tok.text;
    let raw: string | undefined;
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    if (eq >= 0) {
      raw = text.slice(eq + 1);
      const next = r.peek();
      if (raw === '' && next && next.quoted && next.line === tok.line && next.col === tok.col + text.length) {
        r.next('SvcParam value');
        raw = next.text;
      }
    }
    const key = r.at(tok, () => keyCode(name.toLowerCase()));
    const value = raw === undefined ? undefined : r.at(tok, () => decodeOctets(raw as string));
    out.push({ key, name: name.toLowerCase(), value, tok });
  }
  return out;
}

/** SVCB / HTTPS RDATA (RFC 9460 §2.2, wire format §2.2). */
export function svcb(r: RdataReader): Buffer {
  const priority = r.uint('SvcPriority', 16);
  const target = r.name('TargetName');
  const list = params(r);
  const seen = new Map<number, Token>();
  const encoded: { key: number; value: Buffer }[] = [];
  for (const p of list) {
    if (seen.has(p.key)) throw r.errorAt(p.tok, `SvcParam '${p.name}' appears twice (RFC 9460 §2.2)`);
    seen.set(p.key, p.tok);
    const value = r.at(p.tok, () => paramValue(p.key, p.value, p.name));
    if (value.length > 65535) throw r.errorAt(p.tok, `SvcParam '${p.name}' value is longer than 65535 octets`);
    encoded.push({ key: p.key, value });
  }
  // RFC 9460 §8: every key listed in "mandatory" must be present.
  const mandatory = encoded.find((p) => p.key === 0);
  if (mandatory) {
    for (let i = 0; i < mandatory.value.length; i += 2) {
      const k = mandatory.value.readUInt16BE(i);
      if (!seen.has(k)) throw r.errorAt(seen.get(0)!, `mandatory lists '${keyName(k)}', which the record does not have (RFC 9460 §8)`);
    }
  }
  // RFC 9460 §7.1.1: no-default-alpn without alpn is not self-consistent.
  if (seen.has(2) && !seen.has(1)) throw r.errorAt(seen.get(2)!, 'no-default-alpn needs an alpn SvcParam (RFC 9460 §7.1.1)');
  const b = new RdataBuilder().u16(priority).name(target);
  for (const p of encoded.sort((x, y) => x.key - y.key)) b.u16(p.key).u16(p.value.length).bytes(p.value);
  return b.done();
}
