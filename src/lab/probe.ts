import { execFile } from 'node:child_process';

/** One query the lab client made. */
export interface Probe {
  /** ms since the lab's epoch when the query was sent. */
  at: number;
  ok: boolean;
  /** The answering node's NSID (RFC 5001), when the reply carried one. */
  nsid?: string;
}

/** Parses dig's `; NSID: 64 6e 73 31 ("dns1")` line. */
export function parseNsid(digOutput: string): string | undefined {
  const m = /NSID: [0-9a-f ]*\("([^"]*)"\)/i.exec(digOutput);
  return m?.[1];
}

/** Asks `server` for `name SOA` with dig from namespace `ns`, one try, 1 s timeout. */
export function digOnce(ns: string, server: string, name: string, epoch: number): Promise<Probe> {
  const at = Date.now() - epoch;
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, 'dig', `@${server}`, name, 'SOA', '+nsid', '+tries=1', '+timeout=1', '+norecurse'],
      { timeout: 3000 },
      (err, stdout) => {
        const ok = !err && /status: NOERROR/.test(stdout) && /flags:[^;]* aa/.test(stdout);
        resolve({ at, ok, nsid: ok ? parseNsid(stdout) : undefined });
      },
    );
  });
}

/** What a failover looked like from the client. */
export interface FailoverFigures {
  /** Queries sent between the failure and the first answer from another node. */
  failedQueries: number;
  /** Seconds from the failure to the first answer from another node. */
  secondsWithoutAnswers: number;
  /** The node that answered before, and after. */
  before?: string;
  after?: string;
}

/** Reads the failover figures out of the probes, given when the failure was caused. */
export function failoverFigures(probes: Probe[], failedAt: number, failedNode: string): FailoverFigures {
  const after = probes.filter((p) => p.at >= failedAt);
  const firstGood = after.find((p) => p.ok && p.nsid !== undefined && p.nsid !== failedNode);
  const lastBefore = [...probes].reverse().find((p) => p.at < failedAt && p.ok);
  const upTo = firstGood ? after.filter((p) => p.at < firstGood.at) : after;
  return {
    failedQueries: upTo.filter((p) => !p.ok).length,
    secondsWithoutAnswers: firstGood ? (firstGood.at - failedAt) / 1000 : Number.POSITIVE_INFINITY,
    before: lastBefore?.nsid,
    after: firstGood?.nsid,
  };
}
