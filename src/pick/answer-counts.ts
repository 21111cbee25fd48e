/**
 * Answers per member, counted on the query path with plain map increments (no string building,
 * no allocation, no clock read); the status hub and the metrics read the increments once a second.
 */
export class AnswerCounts {
  private readonly counts = new Map<string, Map<string, number>>();

  /** Counts one answer of `service` naming `member`. */
  add(service: string, member: string): void {
    let m = this.counts.get(service);
    if (!m) {
      m = new Map();
      this.counts.set(service, m);
    }
    m.set(member, (m.get(member) ?? 0) + 1);
  }

  /** The answers counted since the last call, per service and member; resets the counts. */
  drain(): Array<{ service: string; member: string; n: number }> {
    const out: Array<{ service: string; member: string; n: number }> = [];
    for (const [service, m] of this.counts) {
      for (const [member, n] of m) {
        if (n === 0) continue;
        out.push({ service, member, n });
        m.set(member, 0);
      }
    }
    return out;
  }
}
