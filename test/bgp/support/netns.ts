import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

let seq = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Two network namespaces joined by a veth pair, named uniquely per process and call:
 * `spk` (the anypick speaker and the DNS server) and `rtr` (BIRD). Addresses are the seed's
 * (example 4) inside 2001:db8::/32 on-link, plus an IPv4 /30 for the IPv4 next hop.
 */
export class Topology {
  readonly spk: string;
  readonly rtr: string;
  readonly speakerV6 = '2001:db8:c001:e453::5353';
  readonly routerV6 = '2001:db8:478:2853::5353';
  readonly speakerV4 = '198.51.100.1';
  readonly routerV4 = '198.51.100.2';
  readonly anycastV6 = '2001:db8::53';
  readonly anycastV4 = '192.0.2.53';
  private children: ChildProcess[] = [];

  constructor() {
    const id = `${process.pid}x${seq++}`;
    this.spk = `apspk${id}`;
    this.rtr = `aprtr${id}`;
  }

  /** Creates both namespaces, the veth pair and addresses (IPv6 with nodad). */
  up(): void {
    ip('netns', 'add', this.spk);
    ip('netns', 'add', this.rtr);
    const a = `vs${process.pid % 100000}${seq}`;
    const b = `vr${process.pid % 100000}${seq}`;
    ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    ip('link', 'set', a, 'netns', this.spk);
    ip('link', 'set', b, 'netns', this.rtr);
    this.exec(this.spk, 'ip', 'link', 'set', 'lo', 'up');
    this.exec(this.rtr, 'ip', 'link', 'set', 'lo', 'up');
    this.exec(this.spk, 'ip', '-6', 'addr', 'add', `${this.speakerV6}/32`, 'dev', a, 'nodad');
    this.exec(this.rtr, 'ip', '-6', 'addr', 'add', `${this.routerV6}/32`, 'dev', b, 'nodad');
    this.exec(this.spk, 'ip', 'addr', 'add', `${this.speakerV4}/30`, 'dev', a);
    this.exec(this.rtr, 'ip', 'addr', 'add', `${this.routerV4}/30`, 'dev', b);
    this.exec(this.spk, 'ip', '-6', 'addr', 'add', `${this.anycastV6}/128`, 'dev', 'lo', 'nodad');
    this.exec(this.spk, 'ip', 'addr', 'add', `${this.anycastV4}/32`, 'dev', 'lo');
    this.exec(this.spk, 'ip', 'link', 'set', a, 'up');
    this.exec(this.rtr, 'ip', 'link', 'set', b, 'up');
  }

  /** Runs a command inside a namespace and returns stdout. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Spawns a long-running process inside a namespace; it is killed by `down()`. */
  spawn(ns: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    this.children.push(child);
    return child;
  }

  /** Kills every spawned process and deletes both namespaces (the veth goes with them). */
  down(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        try { c.kill('SIGCONT'); c.kill('SIGKILL'); } catch { /* gone */ }
      }
    }
    for (const ns of [this.spk, this.rtr]) {
      try {
        // Processes started with `ip netns exec` may have children; kill whatever is left.
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
        for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ } }
      } catch { /* namespace missing */ }
      try { ip('netns', 'del', ns); } catch { /* already gone */ }
    }
  }
}
