/**
 * Answers per member, counted on the query path with a plain map increment (no allocation,
 * no clock read); the status hub and the metrics read the increments once a second.
 */
export class AnswerCounts {
  private readonly counts = new Map<string, number>();

  /** Counts one answer of `service` naming `member`. */
  add(service: string, member: string): void {
    const k = `${service}\u0000${member}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** The answers counted since the last call, per service and member; resets the counts. */
  drain(): Array<{ service: string; member: string; n: number }> {
    const out: Array<{ service: string; member: string; n: number }> = [];
    for (const [k, n] of this.counts) {
      if (n === 0) continue;
      const [service, member] = k.split('\u0000');
      out.push({ service, member, n });
      this.counts.set(k, 0);
    }
    return out;
  }
}
