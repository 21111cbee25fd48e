import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** Runs `ip ARGS…` (optionally inside namespace `ns`) and returns stdout; throws with stderr. */
export function ip(args: string[], ns?: string): string {
  const argv = ns ? ['netns', 'exec', ns, 'ip', ...args] : args;
  return execFileSync('ip', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command inside a namespace and returns stdout. */
export function nsExec(ns: string, cmd: string, args: string[], timeoutMs = 10_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
}

/** Starts a long-running process inside a namespace. */
export function nsSpawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/**
 * Network namespaces and veth pairs made by one lab run, removed again by `destroy()` —
 * deleting a namespace removes its veth ends and kills nothing, so processes are tracked too.
 */
export class NetnsSet {
  private readonly namespaces: string[] = [];
  private readonly procs: ChildProcess[] = [];

  /** Creates namespace `name` with loopback up. */
  add(name: string): string {
    ip(['netns', 'add', name]);
    this.namespaces.push(name);
    ip(['link', 'set', 'lo', 'up'], name);
    return name;
  }

  /** Connects namespaces `a` and `b` with a veth pair named `ifA`/`ifB`, both up. */
  link(a: string, ifA: string, b: string, ifB: string): void {
    ip(['link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b]);
    ip(['link', 'set', ifA, 'up'], a);
    ip(['link', 'set', ifB, 'up'], b);
  }

  /** Adds an IPv6 address without duplicate address detection (usable at once). */
  addr6(ns: string, dev: string, cidr: string): void {
    ip(['-6', 'addr', 'add', cidr, 'dev', dev, 'nodad'], ns);
  }

  /** Remembers a process so `destroy()` ends it. */
  track(p: ChildProcess): ChildProcess {
    this.procs.push(p);
    return p;
  }

  /** Ends every tracked process, then deletes every namespace. Safe to call twice. */
  destroy(): void {
    for (const p of this.procs.splice(0)) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          p.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      // Processes started by others inside the namespace (e.g. by `ip netns exec`) die with it
      // only when killed: `ip netns pids` lists them.
      try {
        const pids = ip(['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      } catch {
        /* namespace already gone */
      }
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  }
}
