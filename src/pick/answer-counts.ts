/** One service's answers naming one member since the last drain. */
export interface AnswerCount {
  n: number;
}

/**
 * Answers per member, counted on the query path with plain map increments (no string building,
 * no allocation, no clock read); the status hub and the metrics read the increments once a second.
 */
export class AnswerCounts {
  private readonly counts = new Map<string, Map<string, AnswerCount>>();

  /** Counts one answer of `service` naming `member`. */
  add(service: string, member: string): void {
    this.counter(service, member).n++;
  }

  /**
   * The counter of `service` and `member`, for a caller that counts the same pair often (a
   * datacenter pick's outcome): `counter(s, m).n++` is `add(s, m)` without the map lookups.
   */
  counter(service: string, member: string): AnswerCount {
    let m = this.counts.get(service);
    if (!m) {
      m = new Map();
      this.counts.set(service, m);
    }
    let c = m.get(member);
    if (!c) {
      c = { n: 0 };
      m.set(member, c);
    }
    return c;
  }

  /** The answers counted since the last call, per service and member; resets the counts. */
  drain(): Array<{ service: string; member: string; n: number }> {
    const out: Array<{ service: string; member: string; n: number }> = [];
    for (const [service, m] of this.counts) {
      for (const [member, c] of m) {
        if (c.n === 0) continue;
        out.push({ service, member, n: c.n });
        c.n = 0;
      }
    }
    return out;
  }
}
