import { digOnce, failoverFigures } from './probe';
import type { FailoverFigures, Probe } from './probe';
import type { Lab } from './lab';
import { LAB } from './topology';

/** What the failover scenario observed. */
export interface ScenarioResult extends FailoverFigures {
  /** Nodes BIRD had routes from once everything was up. */
  routesAtStart: string[];
  /** The node that was answering and was failed. */
  failed: string;
  /** True when BIRD no longer had the failed node's route after the failover. */
  withdrawn: boolean;
  /** True when the failed node's route came back after its DNS was restored. */
  restored: boolean;
  /** Seconds from restarting the DNS to its route being back in BIRD. */
  secondsToRestore: number;
  probes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The lab test: find the node that answers the client, kill its DNS server, keep querying the
 * anycast address until another node answers, check the route was withdrawn, restore the DNS
 * and wait for the route to return.
 */
export async function runFailoverScenario(lab: Lab, log: (s: string) => void, intervalMs = 100): Promise<ScenarioResult> {
  const all = LAB.nodes.map((n) => n.name);
  if (!(await lab.until(() => lab.routesFrom().length === all.length, 60_000, 200))) {
    throw new Error(`BIRD did not learn the anycast route from every node: ${lab.routesFrom().join(',') || 'none'}\n${lab.recentLogs().join('\n')}`);
  }
  const routesAtStart = lab.routesFrom();
  log(`routes to ${LAB.anycast} from: ${routesAtStart.join(', ')} (best: ${lab.bestRoute()})`);

  const epoch = Date.now();
  const probes: Probe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      probes.push(await digOnce(lab.client, LAB.anycast, 'example.com', epoch));
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  })();

  try {
    // Who answers now?
    const answering = await waitFor(() => [...probes].reverse().find((p) => p.ok && p.nsid)?.nsid, 15_000);
    if (!answering) throw new Error(`the client got no answer from ${LAB.anycast}\n${lab.recentLogs().join('\n')}`);
    log(`client is answered by ${answering}; killing its DNS server`);
    const failedAt = Date.now() - epoch;
    lab.killDns(answering);

    const other = await waitFor(() => probes.find((p) => p.at >= failedAt && p.ok && p.nsid && p.nsid !== answering)?.nsid, 30_000);
    const withdrawn = await lab.until(() => !lab.routesFrom().includes(answering), 10_000);
    await sleep(500);
    const fig = failoverFigures(probes, failedAt, answering);
    log(`answered by ${other ?? 'nobody'} after ${fig.secondsWithoutAnswers.toFixed(3)} s; ${fig.failedQueries} failed queries; route withdrawn: ${withdrawn}`);

    const restartAt = Date.now();
    lab.startDns(answering);
    const restored = await lab.until(() => lab.routesFrom().includes(answering), 30_000);
    const secondsToRestore = (Date.now() - restartAt) / 1000;
    log(`DNS on ${answering} restored; route back: ${restored} after ${secondsToRestore.toFixed(3)} s`);
    return { ...fig, routesAtStart, failed: answering, withdrawn, restored, secondsToRestore, probes: probes.length };
  } finally {
    running = false;
    await loop;
  }
}

async function waitFor<T>(f: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(50);
  }
}
