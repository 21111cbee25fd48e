/**
 * The key state of a signed zone as `anypick check` and `explain` print it: each key's role,
 * algorithm, what it does now and its next timing event (RFC 7583 terms), and the DS the parent
 * should hold.
 */
import { ALGORITHMS, FLAG_SEP, dsRdata, keyState } from './keys';
import type { KeyTiming, ZoneKey } from './keys';

const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

const EVENTS: Array<[keyof KeyTiming, string]> = [
  ['publish', 'published'],
  ['activate', 'active'],
  ['syncPublish', 'CDS/CDNSKEY published'],
  ['inactive', 'retired'],
  ['syncDelete', 'CDS/CDNSKEY withdrawn'],
  ['delete', 'removed'],
];

/** One line per key: `KSK 5640 ECDSAP256SHA256: published, active (CDS); next: retired at …`. */
export function keyLines(keys: ZoneKey[], nowS: number): string[] {
  return keys.map((k) => {
    const s = keyState(k, nowS);
    const role = (k.flags & FLAG_SEP) !== 0 ? (keys.some((o) => (o.flags & FLAG_SEP) === 0) ? 'KSK' : 'CSK') : 'ZSK';
    const now = s.published ? [s.active ? 'published, active' : 'published, not signing', ...(s.sync ? ['CDS/CDNSKEY published'] : [])].join(', ') : k.timing.delete !== undefined && k.timing.delete <= nowS ? 'removed' : 'not yet published';
    const next = EVENTS.map(([f, what]) => [k.timing[f], what] as const)
      .filter(([t]) => t !== undefined && t > nowS)
      .sort((a, b) => (a[0] as number) - (b[0] as number))[0];
    return `${role} ${k.tag} ${ALGORITHMS[k.algorithm]}: ${now}${next ? `; next: ${next[1]} at ${iso(next[0] as number)}` : ''}`;
  });
}

/** The DS records (SHA-256) of the zone's published SEP keys, in master-file form. */
export function dsLines(zone: string, keys: ZoneKey[], nowS: number): string[] {
  return keys
    .filter((k) => (k.flags & FLAG_SEP) !== 0 && keyState(k, nowS).published)
    .map((k) => {
      const ds = dsRdata(zone, k.dnskey);
      return `${zone}. IN DS ${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex').toUpperCase()}`;
    });
}
