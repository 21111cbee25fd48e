import { SourceError } from '../util/source-error';
import type { SourcePos } from '../util/source-error';
import type { ZoneRecord } from './types';

const where = (p: SourcePos): string => `${p.file}:${p.line}:${p.col}`;

function dataKey(data: unknown): string {
  return JSON.stringify(data, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}` : v));
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
  const first = new Map<string, ZoneRecord>();
  const seen = new Map<string, ZoneRecord>();
  for (const r of records) {
    const set = `${r.name}\u0000${r.type}`;
    const key = `${set}\u0000${dataKey(r.data)}`;
    const dup = seen.get(key);
    if (dup) {
      warnings.push(new SourceError(r.pos, `duplicate ${r.type} record ignored (same as ${where(dup.pos)}) (RFC 2181 §5)`, 'W_ZONE_DUPLICATE'));
      continue;
    }
    seen.set(key, r);
    const head = first.get(set);
    if (!head) {
      first.set(set, r);
    } else if (head.ttl !== r.ttl) {
      const msg = `TTL ${r.ttl} differs from the TTL ${head.ttl} of its ${r.type} RRset (first at ${where(head.pos)}); using ${head.ttl} (RFC 2181 §5.2)`;
      warnings.push(new SourceError(r.pos, msg, 'W_ZONE_RRSET_TTL'));
      r.ttl = head.ttl;
    }
    kept.push(r);
  }
  return { records: kept, warnings };
}
