import { SourceError } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import type { ZoneRecord } from './types';

const where = (p: SourcePos): string => `${p.file}:${p.line}:${p.col}`;

function dataKey(data: unknown): string {
  if (typeof data === 'string') return data;
  return JSON.stringify(data, (_k, v: unknown) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}` : v,
  );
}

/**
 * Makes every RRset well formed, as BIND does when it loads a zone:
 * RFC 2181 §5.2, all records of an RRset share one TTL (the first one written);
 * RFC 2181 §5, an RRset holds no duplicates (later copies are dropped).
 * Returns the records to keep and a warning for each change.
 */
export function normaliseRrsets(records: ZoneRecord[]): { records: ZoneRecord[]; warnings: SourceError[] } {
  const kept: ZoneRecord[] = [];
  const warnings: SourceError[] = [];
  // name -> type -> the RRset's records so far, with their data keys.
  const sets = new Map<string, Map<string, { key: string; r: ZoneRecord }[]>>();
  for (const r of records) {
    let byType = sets.get(r.name);
    if (!byType) sets.set(r.name, (byType = new Map<string, { key: string; r: ZoneRecord }[]>()));
    let set = byType.get(r.type);
    if (!set) byType.set(r.type, (set = []));
    const key = dataKey(r.data);
    const dup = set.find((x) => x.key === key);
    if (dup) {
      warnings.push(new SourceError(r.pos, `duplicate ${r.type} record ignored (same as ${where(dup.r.pos)}) (RFC 2181 §5)`, 'W_ZONE_DUPLICATE'));
      continue;
    }
    const head = set[0]?.r;
    if (head && head.ttl !== r.ttl) {
      const msg = `TTL ${r.ttl} differs from the TTL ${head.ttl} of its ${r.type} RRset (first at ${where(head.pos)}); using ${head.ttl} (RFC 2181 §5.2)`;
      warnings.push(new SourceError(r.pos, msg, 'W_ZONE_RRSET_TTL'));
      r.ttl = head.ttl;
    }
    set.push({ key, r });
    kept.push(r);
  }
  return { records: kept, warnings };
}
