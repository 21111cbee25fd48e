import { SourceError } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import { isInZone } from './names';
import type { ZoneRecord } from './types';

/** RFC 4035 §2.5 / RFC 2181 §10.1: DNSSEC records may sit beside a CNAME. */
const CNAME_COMPANIONS = new Set(['RRSIG', 'NSEC', 'NSEC3']);

const show = (name: string): string => (name === '' ? '.' : name);
const where = (p: SourcePos): string => `${p.file}:${p.line}:${p.col}`;

/**
 * Zone-level rules, each reported at the record that breaks it:
 * every owner inside the zone; exactly one SOA, at the apex (RFC 1035 §5.2); NS records at
 * the apex (RFC 1034 §4.2.1); a CNAME alone at its name (RFC 1034 §3.6.2, RFC 2181 §10.1).
 * `failedTypes` are types of records that had parse errors: those are not reported missing.
 */
export function validateZone(apex: string, records: ZoneRecord[], file: string, failedTypes: ReadonlySet<string> = new Set()): SourceError[] {
  const errors: SourceError[] = [];
  const err = (pos: SourcePos, msg: string, code: string): void => {
    errors.push(new SourceError(pos, msg, code));
  };

  const soas = records.filter((r) => r.type === 'SOA');
  let apexSoa: ZoneRecord | undefined;
  for (const r of soas) {
    if (r.name !== apex) {
      if (isInZone(r.name, apex)) {
        err(r.pos, `SOA record at '${show(r.name)}' is not at the zone apex '${show(apex)}'`, 'E_ZONE_SOA');
      }
    } else if (apexSoa) {
      err(r.pos, `second SOA record for '${show(apex)}' (the first is at ${where(apexSoa.pos)}); a zone has exactly one`, 'E_ZONE_SOA');
    } else {
      apexSoa = r;
    }
  }
  const top = { file, line: 1, col: 1 };
  if (!apexSoa && !failedTypes.has('SOA')) err(top, `zone '${show(apex)}' has no SOA record at its apex`, 'E_ZONE_SOA');
  if (!failedTypes.has('NS') && !records.some((r) => r.type === 'NS' && r.name === apex)) {
    err(apexSoa?.pos ?? top, `zone apex '${show(apex)}' has no NS records`, 'E_ZONE_NS');
  }

  const byName = new Map<string, ZoneRecord[]>();
  for (const r of records) {
    const list = byName.get(r.name);
    if (list) list.push(r);
    else byName.set(r.name, [r]);
  }
  for (const [name, list] of byName) {
    const cnames = list.filter((r) => r.type === 'CNAME');
    if (cnames.length === 0) continue;
    const [firstCname, ...more] = cnames as [ZoneRecord, ...ZoneRecord[]];
    for (const c of more) {
      err(c.pos, `second CNAME at '${show(name)}' (the first is at ${where(firstCname.pos)}) (RFC 1034 §3.6.2)`, 'E_ZONE_CNAME');
    }
    const other = list.find((r) => r.type !== 'CNAME' && !CNAME_COMPANIONS.has(r.type));
    if (other) {
      const msg = `CNAME at '${show(name)}' cannot coexist with other data (${other.type} at ${where(other.pos)}) (RFC 1034 §3.6.2, RFC 2181 §10.1)`;
      err(firstCname.pos, msg, 'E_ZONE_CNAME');
    }
  }
  // RFC 6672 §2.4: a DNAME owner has no descendants (they could never be reached); Knot
  // refuses such a zone ("DNAME, child record").
  const dnames = records.filter((r) => r.type === 'DNAME');
  for (const d of dnames) {
    for (const r of records) {
      if (r.name !== d.name && isInZone(r.name, d.name)) {
        err(r.pos, `'${show(r.name)}' lies below the DNAME at '${show(d.name)}' (${where(d.pos)}) and could never be served (RFC 6672 §2.4)`, 'E_ZONE_DNAME');
      }
    }
  }
  const dnameSeen = new Set<string>();
  for (const d of dnames) {
    if (dnameSeen.has(d.name)) err(d.pos, `second DNAME at '${show(d.name)}' (RFC 6672 §2.4: at most one per owner)`, 'E_ZONE_DNAME');
    dnameSeen.add(d.name);
  }
  // RFC 2181 §10.3: an NS target must not be an alias; BIND refuses "NS … is a CNAME".
  for (const r of records) {
    if (r.type !== 'NS') continue;
    const target = String(r.data);
    const alias = byName.get(target)?.find((x) => x.type === 'CNAME');
    if (alias) err(r.pos, `NS target '${show(target)}' is a CNAME (${where(alias.pos)}); it must name a host (RFC 2181 §10.3)`, 'E_ZONE_NS_CNAME');
  }
  // Report in reading order: files as first met, then line and column.
  const fileIndex = new Map<string, number>([[file, 0]]);
  for (const r of records) if (!fileIndex.has(r.pos.file)) fileIndex.set(r.pos.file, fileIndex.size);
  const rank = (e: SourceError): number[] => [fileIndex.get(e.pos.file) ?? 0, e.pos.line, e.pos.col];
  return errors.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number) || (x[2] as number) - (y[2] as number);
  });
}
