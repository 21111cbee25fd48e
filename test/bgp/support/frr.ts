import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from './netns';

/** Options of the FRR peer. */
export interface FrrOptions {
  /** `neighbor … password` (TCP-MD5). */
  password?: string;
  /** `neighbor … ttl-security hops N`. */
  ttlSecurityHops?: number;
  holdTime?: number;
  /** Run bgpd without zebra (`-Z`): it then refuses link-local IPv6 next hops with 3/10. */
  noZebra?: boolean;
  /** `neighbor … bfd` with bfdd (intervals in ms). */
  bfd?: { intervalMs: number; multiplier: number };
}

/** FRR's daemons in the `rtr` namespace, with private config, pid, zserv and vty paths. */
export class Frr {
  readonly dir = mkdtempSync(join(tmpdir(), 'anypick-frr-'));
  private children: ChildProcess[] = [];
  private bgpd?: ChildProcess;

  constructor(private readonly topo: Topology, private readonly opts: FrrOptions = {}) {
    chmodSync(this.dir, 0o777); // the daemons run as the frr user (in the frrvty group vtysh needs)
    const n = topo.speakerV6;
    const o = opts;
    writeFileSync(join(this.dir, 'bgpd.conf'), `frr defaults traditional
hostname rtr
log file ${join(this.dir, 'bgpd.log')} debugging
debug bgp neighbor-events
!
router bgp 65536
 bgp router-id ${topo.routerV4}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor ${n} remote-as 64511
 neighbor ${n} timers ${Math.max(1, Math.floor((o.holdTime ?? 9) / 3))} ${o.holdTime ?? 9}
 neighbor ${n} timers connect 1
 neighbor ${n} update-source ${topo.routerV6}
${o.password ? ` neighbor ${n} password ${o.password}\n` : ''}${o.ttlSecurityHops ? ` neighbor ${n} ttl-security hops ${o.ttlSecurityHops}\n` : ''}${o.bfd ? ` neighbor ${n} bfd\n` : ''} address-family ipv6 unicast
  neighbor ${n} activate
 exit-address-family
 address-family ipv4 unicast
  neighbor ${n} activate
 exit-address-family
!
`);
    writeFileSync(join(this.dir, 'zebra.conf'), 'hostname rtr\n');
    writeFileSync(join(this.dir, 'bfdd.conf'), o.bfd ? `hostname rtr
bfd
 profile anypick
  receive-interval ${o.bfd.intervalMs}
  transmit-interval ${o.bfd.intervalMs}
  detect-multiplier ${o.bfd.multiplier}
 !
 peer ${n} local-address ${topo.routerV6}
  profile anypick
 !
!
` : 'hostname rtr\n');
  }

  private daemon(name: string, extra: string[]): ChildProcess {
    const d = this.dir;
    const c = this.topo.spawn(this.topo.rtr, `/usr/lib/frr/${name}`, [
      '-f', join(d, `${name}.conf`), '-i', join(d, `${name}.pid`), '-z', join(d, 'zserv.api'), '--vty_socket', d,
      '-u', 'frr', '-g', 'frr', '-P', '0', '--log', `file:${join(d, name + '.out.log')}`, ...extra,
    ]);
    this.children.push(c);
    return c;
  }

  /** Starts zebra (unless `noZebra`), bfdd (with `bfd`) and bgpd; resolves when bgpd answers vtysh. */
  async start(): Promise<void> {
    if (!this.opts.noZebra) {
      this.daemon('zebra', []);
      await this.waitFor(() => this.vtysh('zebra', 'show version').includes('FRRouting'));
    }
    if (this.opts.bfd) {
      this.daemon('bfdd', []);
      await this.waitFor(() => this.vtysh('bfdd', 'show version').includes('FRRouting'));
    }
    this.bgpd = this.daemon('bgpd', this.opts.noZebra ? ['-Z', '-n'] : ['-n']);
    await this.waitFor(() => this.vtysh('bgpd', 'show version').includes('FRRouting'));
  }

  private async waitFor(fn: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !fn(); i++) await new Promise((r) => setTimeout(r, 100));
  }

  /** The bgpd process. */
  get process(): ChildProcess | undefined {
    return this.bgpd;
  }

  /** `vtysh -d DAEMON -c COMMAND` against this instance's vty sockets ('' on failure). */
  vtysh(daemon: string, command: string): string {
    try {
      return execFileSync('vtysh', ['--vty_socket', this.dir, '-d', daemon, '-c', command], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      return '';
    }
  }

  /** The neighbor's state from `show bgp neighbors json` (e.g. `Established`). */
  peerState(): string {
    try {
      const j = JSON.parse(this.vtysh('bgpd', `show bgp neighbors ${this.topo.speakerV6} json`)) as Record<string, { bgpState?: string }>;
      return j[this.topo.speakerV6]?.bgpState ?? '';
    } catch {
      return '';
    }
  }

  /** True when bgpd holds `prefix` (IPv4 or IPv6 unicast) learned from the speaker. */
  hasRoute(prefix: string): boolean {
    const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
    try {
      const j = JSON.parse(this.vtysh('bgpd', `show bgp ${afi} unicast ${prefix} json`)) as { paths?: unknown[] };
      return (j.paths?.length ?? 0) > 0;
    } catch {
      return false;
    }
  }

  /** Kills every daemon. */
  kill(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        try { c.kill('SIGCONT'); c.kill('SIGKILL'); } catch { /* gone */ }
      }
    }
  }

  cleanup(): void {
    this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
