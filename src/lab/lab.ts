import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { NetnsSet, nsExec, nsSpawn, ip } from './netns';
import { routerBirdConfig } from './bird';
import { LAB } from './topology';

/** A running anycast lab: namespaces, BIRD, and per node `anypick serve` + `anypick bgp`. */
export class Lab {
  readonly id: string;
  readonly router: string;
  readonly client: string;
  readonly nodeNs: Map<string, string> = new Map();
  private readonly set = new NetnsSet();
  private readonly dir: string;
  private readonly serve: Map<string, ChildProcess> = new Map();
  private readonly logs: string[] = [];

  constructor(
    private readonly root: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.id = `apl${process.pid % 100000}`;
    this.router = `${this.id}-r`;
    this.client = `${this.id}-c`;
    this.dir = mkdtempSync(join(tmpdir(), 'anypick-lab-'));
  }

  /** Builds the namespaces and links, starts BIRD and every node. */
  async start(): Promise<void> {
    const { set, id } = this;
    set.add(this.router);
    nsExec(this.router, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    LAB.nodes.forEach((n, i) => {
      const ns = set.add(`${id}-${n.name}`);
      this.nodeNs.set(n.name, ns);
      set.link(this.router, `${id}r${i + 1}`, ns, `${id}n${i + 1}`);
      set.addr6(this.router, `${id}r${i + 1}`, `${n.routerAddress}/${LAB.linkPrefix}`);
      set.addr6(ns, `${id}n${i + 1}`, `${n.address}/${LAB.linkPrefix}`);
      set.addr6(ns, 'lo', `${LAB.anycast}/128`);
      ip(['-6', 'route', 'add', 'default', 'via', n.routerAddress], ns);
    });
    set.add(this.client);
    set.link(this.router, `${id}rc`, this.client, `${id}c`);
    set.addr6(this.router, `${id}rc`, `${LAB.client.routerAddress}/${LAB.linkPrefix}`);
    set.addr6(this.client, `${id}c`, `${LAB.client.address}/${LAB.linkPrefix}`);
    ip(['-6', 'route', 'add', 'default', 'via', LAB.client.routerAddress], this.client);
    this.log(`lab ${id}: namespaces ${[this.router, ...this.nodeNs.values(), this.client].join(' ')}`);

    const conf = join(this.dir, 'bird.conf');
    writeFileSync(conf, routerBirdConfig(LAB));
    this.keep('bird', set.track(nsSpawn(this.router, 'bird', ['-f', '-c', conf, '-s', this.birdSocket])));
    for (const n of LAB.nodes) {
      this.startDns(n.name);
      this.keep(`${n.name}-bgp`, set.track(this.anypick(n.name, ['bgp', join(this.root, n.config.replace(/\/[^/]+$/, '')), '--log-level', 'info'])));
    }
  }

  get birdSocket(): string {
    return join(this.dir, 'bird.ctl');
  }

  /** Starts (or restarts) `anypick serve` on node `name`. */
  startDns(name: string): void {
    const p = this.anypick(name, ['serve', join(this.root, 'zones'), '--dns', `[${LAB.anycast}]:53`, '--nsid', name, '--log-level', 'warn']);
    this.serve.set(name, this.set.track(p));
    this.keep(`${name}-dns`, p);
  }

  /** Kills `anypick serve` on node `name` (SIGKILL: a crash, not a clean stop). */
  killDns(name: string): void {
    this.serve.get(name)?.kill('SIGKILL');
  }

  /** The nodes BIRD currently has a route to the anycast prefix from. */
  routesFrom(): string[] {
    let out: string;
    try {
      out = nsExec(this.router, 'birdc', ['-s', this.birdSocket, 'show', 'route', 'for', LAB.anycast, 'all']);
    } catch {
      return [];
    }
    return LAB.nodes.filter((n) => out.includes(`[${n.name} `)).map((n) => n.name);
  }

  /** The node whose route BIRD selected as best (marked `*`), if any. */
  bestRoute(): string | undefined {
    try {
      const out = nsExec(this.router, 'birdc', ['-s', this.birdSocket, 'show', 'route', 'for', LAB.anycast]);
      return /\[(\w+) [^\]]*\] \*/.exec(out)?.[1];
    } catch {
      return undefined;
    }
  }

  /** Waits until `pred()` holds, polling every `stepMs`; false on timeout. */
  async until(pred: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (pred()) return true;
      await new Promise((r) => setTimeout(r, stepMs));
    }
    return pred();
  }

  /** The last lines the lab's processes printed (for failure reports). */
  recentLogs(n = 40): string[] {
    return this.logs.slice(-n);
  }

  /** Stops everything and removes every namespace and temporary file. Safe to call twice. */
  destroy(): void {
    this.set.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private anypick(node: string, args: string[]): ChildProcess {
    const ns = this.nodeNs.get(node);
    if (!ns) throw new Error(`no lab node ${node}`);
    return nsSpawn(ns, process.execPath, [join(this.root, 'dist', 'src', 'cli', 'main.js'), ...args], { cwd: this.root });
  }

  private keep(tag: string, p: ChildProcess): void {
    const add = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) this.logs.push(`${tag}: ${line}`);
      if (this.logs.length > 2000) this.logs.splice(0, this.logs.length - 1000);
    };
    p.stdout?.on('data', add);
    p.stderr?.on('data', add);
    p.on('exit', (code, sig) => this.logs.push(`${tag}: exited ${code ?? sig}`));
  }
}
