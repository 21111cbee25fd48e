/**
 * The traffic map's counts: answers per datacenter (member) and client region (the country
 * code the geo database gives the client's network), since start. Counted on the query path
 * through counters the datacenter selections keep (no lookups per query); bounded: at most
 * MAX_REGIONS regions per member (the rest count as `other`) and MAX_MEMBERS members.
 */
import type { AnswerCount } from './answer-counts';
import type { GeoPoint } from '../model/geo-point';

/** Regions kept per member; later ones count as `other`. */
export const MAX_REGIONS = 32;
/** Members kept; answers naming later ones are not counted here. */
export const MAX_MEMBERS = 1024;
/** The region of a client the geo database does not place. */
export const UNKNOWN_REGION = 'unknown';
/** Where regions beyond MAX_REGIONS go. */
export const OTHER_REGION = 'other';

/** One member's answers to one client region, with where the first such client was placed. */
export interface TrafficCell {
  member: string;
  region: string;
  n: number;
  location?: GeoPoint;
}

/** What `/traffic.json` returns. */
export interface TrafficView {
  maxRegions: number;
  cells: TrafficCell[];
}

type Cell = AnswerCount & { location?: GeoPoint };

/** Answers per member and client region. */
export class TrafficCounts {
  private readonly byMember = new Map<string, Map<string, Cell>>();
  /** Counts nothing: handed out once MAX_MEMBERS is reached. */
  private readonly sink: Cell = { n: 0 };

  /** The counter of `member` answering clients of `region` ('' for unknown), placed at `location`. */
  counter(member: string, region: string, location?: GeoPoint): AnswerCount {
    let m = this.byMember.get(member);
    if (!m) {
      if (this.byMember.size >= MAX_MEMBERS) return this.sink;
      m = new Map();
      this.byMember.set(member, m);
    }
    const name = region === '' ? UNKNOWN_REGION : region;
    let c = m.get(name);
    if (!c) {
      const full = m.size >= MAX_REGIONS - (m.has(OTHER_REGION) ? 0 : 1);
      if (full && name !== OTHER_REGION) return this.counter(member, OTHER_REGION);
      c = { n: 0, location };
      m.set(name, c);
    }
    return c;
  }

  /** Every member and region with at least one answer. */
  view(): TrafficView {
    const cells: TrafficCell[] = [];
    for (const [member, m] of this.byMember) {
      for (const [region, c] of m) if (c.n > 0) cells.push({ member, region, n: c.n, location: c.location });
    }
    return { maxRegions: MAX_REGIONS, cells };
  }
}
