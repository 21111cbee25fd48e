/**
 * Member lines of `next-hop-members:`: `NAME WEIGHT dyn|static TARGET [location LAT,LON]`,
 * where TARGET is `ADDR/LEN` or a quoted record `"OWNER A|AAAA IN TTL ADDR/LEN"`.
 */
import type { Node, Word } from './lexer';
import { charPos } from './lexer';
import { CONFIG_CODES, checkName, dispatch } from './context';
import type { LoadContext } from './context';
import { parseBlock, parseDomainName, parseLocation, parseTtl, parseWeight, ValueError } from './values';
import type { AddressBlock, Member, MemberTarget, RecordTemplate, Service } from './model';
import type { GeoPoint } from '../model/geo-point';

/** Parses `ADDR/LEN` in word `w` starting at character `off`; reports errors at the exact column. */
export function blockAt(ctx: LoadContext, w: Word, text: string, off = 0): AddressBlock | undefined {
  try {
    const b = parseBlock(text);
    return { address: b.address, family: b.family, prefixLength: b.prefixLength, network: b.network, pos: charPos(w, off) };
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    ctx.error(charPos(w, off + e.offset), e.message, CONFIG_CODES.VALUE);
    return undefined;
  }
}

/** Splits a quoted record into fields with their offsets. */
function fields(text: string): { text: string; off: number }[] {
  const out: { text: string; off: number }[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push({ text: m[0], off: m.index });
  return out;
}

function recordTarget(ctx: LoadContext, w: Word): MemberTarget | undefined {
  const f = fields(w.text);
  if (f.length !== 5) {
    ctx.error(w.pos, `bad record '${w.text}' (expected "OWNER TYPE IN TTL ADDR/LEN", e.g. "example.com AAAA IN 90 2001:db8::/56")`, CONFIG_CODES.VALUE);
    return undefined;
  }
  const at = (i: number, extra = 0) => charPos(w, f[i].off + extra);
  let owner: string;
  try {
    owner = parseDomainName(f[0].text);
  } catch (e) {
    ctx.error(at(0, (e as ValueError).offset ?? 0), (e as Error).message, CONFIG_CODES.VALUE);
    return undefined;
  }
  const type = f[1].text.toUpperCase();
  if (type !== 'A' && type !== 'AAAA') {
    ctx.error(at(1), `bad record type '${f[1].text}' (expected A or AAAA)`, CONFIG_CODES.VALUE);
    return undefined;
  }
  if (f[2].text.toUpperCase() !== 'IN') {
    ctx.error(at(2), `bad record class '${f[2].text}' (expected IN)`, CONFIG_CODES.VALUE);
    return undefined;
  }
  let ttl: number;
  try {
    ttl = parseTtl(f[3].text);
  } catch (e) {
    ctx.error(at(3), (e as Error).message, CONFIG_CODES.VALUE);
    return undefined;
  }
  const block = blockAt(ctx, w, f[4].text, f[4].off);
  if (!block) return undefined;
  if ((type === 'A') !== (block.family === 4)) {
    ctx.error(at(4), `${type} record needs an IPv${type === 'A' ? 4 : 6} address, got '${block.address}'`, CONFIG_CODES.VALUE);
    return undefined;
  }
  const record: RecordTemplate = { owner, type, class: 'IN', ttl };
  return { block, record, pos: w.pos };
}

function locationOf(ctx: LoadContext, words: Word[]): GeoPoint | undefined {
  const w = words[0];
  // `LAT,LON` or `LAT, LON` (two words).
  const text = words.map((x) => x.text).join('');
  return ctx.value({ ...w, text }, parseLocation);
}

/** Parses one member line into `members` (lines with the same NAME add targets to one member). */
export function parseMemberLine(ctx: LoadContext, n: Node, members: Map<string, Member>): void {
  const name = checkName(ctx, n.head, 'member', n.pos);
  if (name === undefined) return;
  const [wWeight, wMode, wTarget, ...rest] = n.args;
  if (!wWeight || !wMode || !wTarget) {
    ctx.error(n.pos, `member '${name}' needs WEIGHT dyn|static TARGET (e.g. '${name} 10 dyn 2001:db8::/64')`, CONFIG_CODES.MISSING);
    return;
  }
  const weight = ctx.value(wWeight, parseWeight);
  if (wMode.text !== 'dyn' && wMode.text !== 'static') {
    ctx.error(wMode.pos, `bad member mode '${wMode.text}' (expected dyn or static)`, CONFIG_CODES.VALUE);
    return;
  }
  let target: MemberTarget | undefined;
  if (wTarget.quoted) target = recordTarget(ctx, wTarget);
  else if (wTarget.text.includes('/')) {
    const block = blockAt(ctx, wTarget, wTarget.text);
    if (block) target = { block, pos: wTarget.pos };
  } else {
    ctx.error(wTarget.pos, `bad member target '${wTarget.text}' (expected ADDR/LEN or a quoted record "OWNER TYPE IN TTL ADDR/LEN")`, CONFIG_CODES.VALUE);
  }
  let location: GeoPoint | undefined;
  if (rest.length > 0) {
    if (rest[0].text !== 'location' || rest.length < 2) {
      ctx.error(rest[0].pos, `unexpected '${rest[0].text}' after the member target (expected 'location LAT,LON')`, CONFIG_CODES.SYNTAX);
      return;
    }
    location = locationOf(ctx, rest.slice(1));
  }
  dispatch(ctx, n.children, 'member', {
    location: (c) => {
      const words = ctx.valueWords(c);
      if (words) location = locationOf(ctx, words);
    },
  });
  if (weight === undefined || !target) return;
  const dynamic = wMode.text === 'dyn';
  const prev = members.get(name);
  if (!prev) {
    members.set(name, { name, weight, dynamic, targets: [target], location, pos: n.pos });
    return;
  }
  const p = prev.pos;
  if (prev.weight !== weight || prev.dynamic !== dynamic) {
    ctx.error(wWeight.pos, `member '${name}' repeated with a different weight or mode than at ${p.file}:${p.line}:${p.col}`, CONFIG_CODES.VALUE);
    return;
  }
  if (location) {
    if (prev.location && (prev.location.lat !== location.lat || prev.location.lon !== location.lon)) {
      ctx.error(rest[0]?.pos ?? n.pos, `member '${name}' repeated with a different location than at ${p.file}:${p.line}:${p.col}`, CONFIG_CODES.VALUE);
      return;
    }
    prev.location = location;
  }
  prev.targets.push(target);
}

/** A record target's owner must be the service's `listen` host: the DNS tier answers for it. */
export function checkRecordOwners(ctx: LoadContext, s: Service): void {
  if (s.members?.kind !== 'static') return;
  for (const m of s.members.members) {
    for (const t of m.targets) {
      if (!t.record) continue;
      if (!s.listen) {
        ctx.error(t.pos, `record target of member '${m.name}' needs the service to have 'listen' (the owner must be its host)`, CONFIG_CODES.MISSING);
      } else if (t.record.owner !== s.listen.host) {
        ctx.error(t.pos, `record owner '${t.record.owner}' does not match the listen host '${s.listen.host}' of service '${s.name}'`, CONFIG_CODES.VALUE);
      }
    }
  }
}
