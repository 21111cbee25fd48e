/**
 * A live two-datacenter rig for tests of `anypick serve` with reporting members: a temporary
 * folder with example.com's zone, a delivery of my-service over datacenter-1 (near us-west)
 * and datacenter-2 (near Frankfurt) and a tokens file; serves on port 0 with the signals
 * receiver, and `anypick report` members. One copy for the gslb and signals tests.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, serveWithPorts } from './anypick';
import type { AnypickProcess } from './anypick';
import { ZONE } from '../signals/two-datacenters';

export type DatacenterName = 'datacenter-1' | 'datacenter-2';

/** The delivery: members report every 250 ms; `lease` and extra strategy lines vary per test. */
export function liveDelivery(lease: string, strategy: string[] = []): string {
  return `delivery global
  publish:
    presence @availability as otel.event
    readiness @availability as otel.event
  subscribe:
    presence @availability to membership
    readiness @availability to dynamic-weight
  lease: ${lease}
  report-interval: 250ms

service my-service:
  listen "https://example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
${strategy.map((l) => `    ${l}\n`).join('')}  next-hop-members:
    datacenter-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56" location 37.4,-122.1
    datacenter-2 10 dyn "example.com AAAA IN 90 2001:db8:478:2800::/56" location 50.1,8.7
`;
}

type Served = Awaited<ReturnType<typeof serveWithPorts>>;

/** The folder, its served processes and reporting members; `close()` stops and removes all. */
export class LiveRig {
  readonly dir: string;
  private readonly reporters: ChildProcess[] = [];
  private readonly procs: AnypickProcess[] = [];

  /** `name` marks the folder and the tokens (unique per test file). */
  constructor(private readonly name: string, lease: string, strategy: string[] = []) {
    this.dir = mkdtempSync(join(tmpdir(), `anypick-${name}-`));
    writeFileSync(join(this.dir, 'example.com.zone'), ZONE);
    writeFileSync(join(this.dir, 'my-service.delivery'), liveDelivery(lease, strategy));
    writeFileSync(join(this.dir, 'tokens'), (['datacenter-1', 'datacenter-2'] as const).map((m) => `${this.token(m)} datacenter my-service ${m}\n`).join(''));
  }

  /** The bearer token of a member. */
  token(member: DatacenterName): string {
    return `${this.name}-token-${member}-0123456789`;
  }

  /** `anypick serve DIR --signals 127.0.0.1:0 --tokens DIR/tokens ARGS…`, ports read back. */
  async serve(args: string[]): Promise<Served> {
    const s = await serveWithPorts([this.dir, '--signals', '127.0.0.1:0', '--tokens', join(this.dir, 'tokens'), ...args]);
    this.procs.push(s.proc);
    return s;
  }

  /** `anypick report` as `member` to the receiver on `signals`, every 250 ms. */
  report(signals: number, member: DatacenterName, extra: string[] = []): ChildProcess {
    const r = spawn(process.execPath, [MAIN, 'report', '--tier', 'datacenter', '--service', 'my-service', '--member', member, '--endpoint', `http://127.0.0.1:${signals}`, '--token', this.token(member), '--interval', '250ms', ...extra], { stdio: 'ignore' });
    this.reporters.push(r);
    return r;
  }

  /** Kills every reporter started so far (the served processes keep running). */
  stopReporters(): void {
    for (const r of this.reporters.splice(0)) r.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.stopReporters();
    for (const p of this.procs) await p.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
