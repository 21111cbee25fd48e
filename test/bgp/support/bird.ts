import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from './netns';

/** Options of the BIRD peer. */
export interface BirdOptions {
  holdTime?: number;
  /** Also export static routes to the speaker (to capture UPDATEs from BIRD). */
  exportStatic?: boolean;
  /** `bfd on` with a `protocol bfd` at this interval and multiplier. */
  bfd?: { intervalMs: number; multiplier: number };
}

/** BIRD 2 as the router in the `rtr` namespace: eBGP AS 65536 to the speaker's AS 64511. */
export class Bird {
  readonly dir = mkdtempSync(join(tmpdir(), 'anypick-bird-'));
  readonly sock = join(this.dir, 'bird.ctl');
  private child?: ChildProcess;

  constructor(private readonly topo: Topology, private readonly opts: BirdOptions = {}) {
    const statics = opts.exportStatic
      ? `protocol static s6 { ipv6; route 2001:db8:ffff::/48 unreachable; route 2001:db8:fffe::/64 unreachable; }
protocol static s4 { ipv4; route 203.0.113.0/24 unreachable; }\n`
      : '';
    const exp = opts.exportStatic ? 'export all' : 'export none';
    const bfd = opts.bfd
      ? `protocol bfd { interface "*" { min rx interval ${opts.bfd.intervalMs} ms; min tx interval ${opts.bfd.intervalMs} ms; multiplier ${opts.bfd.multiplier}; }; }\n`
      : '';
    writeFileSync(join(this.dir, 'bird.conf'), `router id ${topo.routerV4};
log "${join(this.dir, 'bird.log')}" all;
protocol device { scan time 1; }
${statics}${bfd}protocol bgp anypick {
  local ${topo.routerV6} as 65536;
  neighbor ${topo.speakerV6} as 64511;
  hold time ${opts.holdTime ?? 9};
  connect retry time 1;
  connect delay time 1;
  error wait time 1, 2;
${opts.bfd ? '  bfd on;\n' : ''}  ipv6 { import all; ${exp}; };
  ipv4 { import all; ${exp}; };
}
`);
  }

  /** Starts BIRD in the foreground (killed by the topology's cleanup). */
  start(): ChildProcess {
    this.child = this.topo.spawn(this.topo.rtr, 'bird', ['-f', '-c', join(this.dir, 'bird.conf'), '-s', this.sock]);
    return this.child;
  }

  /** The BIRD process. */
  get process(): ChildProcess | undefined {
    return this.child;
  }

  /** Kills BIRD and waits for it to exit. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
  }

  /** `birdc -s SOCK ARGS…` output ('' when BIRD is not answering). */
  birdc(...args: string[]): string {
    try {
      return execFileSync('birdc', ['-s', this.sock, ...args], { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      return '';
    }
  }

  /** `show route all for PREFIX`-style listing of everything learned from the speaker. */
  routes(): string {
    return this.birdc('show', 'route', 'all', 'protocol', 'anypick');
  }

  /** The BGP protocol's state line (e.g. `Established`). */
  protocolState(): string {
    const out = this.birdc('show', 'protocols', 'anypick');
    const m = /anypick\s+BGP\s+\S+\s+\S+\s+\S+\s+(\S+)/.exec(out);
    return m ? m[1]! : '';
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `fn` every `ms` until it returns true or `timeoutMs` passes; resolves to the outcome. */
export async function until(fn: () => boolean, timeoutMs: number, ms = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, ms));
  }
}
