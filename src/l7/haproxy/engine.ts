/**
 * `--engine haproxy`: the service pick keeps deciding (signals, thresholds, priorities, dynamic
 * weight, upward availability) and a local HAProxy (Debian `haproxy`) carries the requests. The
 * decision reaches HAProxy through its Runtime API:
 * - members are servers of one backend, added (`add server`) and removed (`del server`) as
 *   dynamic membership changes;
 * - each server's weight is the member's share of traffic (`set server … weight`), so HAProxy's
 *   weighted random balancing draws members as the pick does;
 * - a ready member outside the serving mode is drained (`state drain`: no new requests,
 *   requests under way finish); a member that is not ready is put in maintenance (`state maint`).
 * URI admission becomes ACLs; OpenAPI body validation stays on the Node engine.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admission } from '../admission/admission';
import type { ProxyOptions } from '../proxy/options';
import type { ServicePickRoute } from '../service-pick/route';
import type { Logger } from '../../util/log';
import type { TlsCertificates } from '../../util/tls';
import { BACKEND, problemFiles, renderHaproxyConfig, serverName } from './config';
import { isRuntimeError, runtimeCommand } from './runtime';

/** HAProxy's server weight range is 0..256. */
const MAX_WEIGHT = 256;

/** A server as HAProxy should have it. */
export interface ServerPlan {
  name: string;
  key: string;
  addr: string;
  port: number;
  weight: number;
  state: 'ready' | 'drain' | 'maint';
}

/** Shares of traffic → HAProxy servers (pure): the largest share gets weight 256. */
export function planServers(shares: { key: string; host: string; port: number; share: number; ready: boolean }[]): ServerPlan[] {
  const max = shares.reduce((m, s) => Math.max(m, s.share), 0);
  return shares.map((s) => {
    const weight = s.share > 0 && max > 0 ? Math.max(1, Math.round((s.share / max) * MAX_WEIGHT)) : 0;
    const state = weight > 0 ? 'ready' : s.ready ? 'drain' : 'maint';
    return { name: serverName(s.key), key: s.key, addr: s.host, port: s.port, weight, state };
  });
}

/** Runtime API commands that take HAProxy from `applied` to `want` (pure). */
export function diffServers(applied: ReadonlyMap<string, ServerPlan>, want: readonly ServerPlan[]): { commands: string[]; removed: string[] } {
  const commands: string[] = [];
  const seen = new Set<string>();
  const addr = (p: ServerPlan): string => (p.addr.includes(':') ? `[${p.addr}]` : p.addr);
  for (const p of want) {
    seen.add(p.name);
    const was = applied.get(p.name);
    const id = `${BACKEND}/${p.name}`;
    if (!was) {
      // Added servers start in maintenance; the state command below brings them in.
      commands.push(`add server ${id} ${addr(p)}:${p.port} weight ${p.weight}`);
      commands.push(`set server ${id} state ${p.state}`);
      continue;
    }
    if (was.addr !== p.addr || was.port !== p.port) commands.push(`set server ${id} addr ${p.addr} port ${p.port}`);
    if (was.weight !== p.weight && p.weight > 0) commands.push(`set server ${id} weight ${p.weight}`);
    if (was.state !== p.state) commands.push(`set server ${id} state ${p.state}`);
  }
  const removed: string[] = [];
  for (const name of applied.keys()) {
    if (seen.has(name)) continue;
    commands.push(`set server ${BACKEND}/${name} state maint`, `shutdown sessions server ${BACKEND}/${name}`, `del server ${BACKEND}/${name}`);
    removed.push(name);
  }
  return { commands, removed };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Options of the HAProxy engine. */
export interface HaproxyEngineOptions {
  route: ServicePickRoute;
  admission?: Admission;
  scheme: string;
  tls?: TlsCertificates;
  proxy: ProxyOptions;
  /** HAProxy threads (default 1). */
  threads?: number;
  /** How often the decision is pushed (ms, default 200). */
  syncMs?: number;
  /** HAProxy executable (default `haproxy` on PATH). */
  bin?: string;
  log?: Logger;
  /** HAProxy exited without being asked to. */
  onExit?: (code: number | null, output: string) => void;
}

/** A running HAProxy data plane driven by a service pick. */
export class HaproxyEngine {
  /** Counters for status. */
  readonly stats = { syncs: 0, commands: 0, commandErrors: 0 };
  private route: ServicePickRoute;
  private readonly dir: string;
  private readonly socket: string;
  private child?: ChildProcess;
  private output = '';
  private timer?: NodeJS.Timeout;
  private applied = new Map<string, ServerPlan>();
  private syncing = false;
  private stopping = false;

  constructor(private readonly o: HaproxyEngineOptions) {
    if (o.admission?.hasSiteSchema) throw new TypeError(`control '${o.admission.name}' checks an OpenAPI site schema: body validation runs on the Node engine only (--engine node)`);
    this.route = o.route;
    this.dir = mkdtempSync(join(tmpdir(), 'anypick-haproxy-'));
    chmodSync(this.dir, 0o700);
    this.socket = join(this.dir, 'admin.sock');
  }

  private writeCerts(): string | undefined {
    if (!this.o.tls) return undefined;
    mkdirSync(join(this.dir, 'certs'), { recursive: true, mode: 0o700 });
    const lines = this.o.tls.loaded().map((c, i) => {
      const file = join(this.dir, 'certs', `${i}.pem`);
      // HAProxy reads certificate and key from one PEM file; it stays in this 0700 directory.
      writeFileSync(file, Buffer.concat([c.cert, Buffer.from('\n'), c.key]), { mode: 0o600 });
      return file;
    });
    const list = join(this.dir, 'certs.list');
    writeFileSync(list, lines.join('\n') + '\n');
    return list;
  }

  /** Writes the configuration, starts HAProxy and pushes the first decision; resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    const bound = port || (await freePort(host));
    const texts = problemFiles(this.o.admission?.name, this.o.admission?.pattern?.text);
    const files = { notFound: join(this.dir, '404.json'), badPath: join(this.dir, '400.json'), errors: { 502: join(this.dir, '502.http'), 503: join(this.dir, '503.http'), 504: join(this.dir, '504.http') } };
    writeFileSync(files.notFound, texts.notFound);
    writeFileSync(files.badPath, texts.badPath);
    for (const s of [502, 503, 504] as const) writeFileSync(files.errors[s], texts.errors[s]);
    const p = this.o.proxy;
    const initial = planServers(this.route.shares());
    const cfg = renderHaproxyConfig({
      servers: initial,
      listen: { host, port: bound },
      socket: this.socket,
      crtList: this.writeCerts(),
      admission: this.o.admission?.pattern ? { name: this.o.admission.name, pattern: this.o.admission.pattern } : undefined,
      scheme: this.o.scheme,
      files,
      threads: this.o.threads ?? 1,
      timeouts: { connectMs: p.connectTimeoutMs, headMs: p.headersTimeoutMs, keepAliveMs: p.keepAliveTimeoutMs, serverMs: p.upstreamHeadersTimeoutMs, tunnelMs: p.tunnelIdleTimeoutMs, clientMs: p.requestTimeoutMs },
      retries: p.retries,
      trustedProxies: p.trustedProxies,
    });
    const file = join(this.dir, 'haproxy.cfg');
    writeFileSync(file, cfg);
    const child = spawn(this.o.bin ?? 'haproxy', ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-8000)));
    child.stderr!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-8000)));
    const exited = new Promise<never>((_r, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start haproxy: ${e.message}`)));
      child.once('exit', (code) => {
        if (!this.stopping) {
          this.o.log?.error({ code, output: this.output }, 'haproxy exited');
          this.o.onExit?.(code, this.output);
        }
        reject(new Error(`haproxy exited (${code}):\n${this.output}`));
      });
    });
    exited.catch(() => undefined);
    // Ready once the Runtime API answers.
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          if (/Name: HAProxy/.test(await runtimeCommand(this.socket, 'show info', 1000))) return;
        } catch {
          // not yet listening
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`haproxy did not open its Runtime API:\n${this.output}`);
    })();
    await Promise.race([ready, exited]);
    // A drained server is written with weight 0; its state is set like any later change.
    this.applied = new Map(initial.map((s) => [s.name, s.state === 'drain' ? { ...s, state: 'ready' as const } : s]));
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.o.syncMs ?? 200);
    this.timer.unref();
    return bound;
  }

  /** A reload swapped the route in. */
  setRoute(route: ServicePickRoute): void {
    this.route = route;
    void this.sync();
  }

  /** Pushes the current decision to HAProxy (only what changed). */
  async sync(): Promise<void> {
    if (this.syncing || this.stopping || !this.child) return;
    this.syncing = true;
    try {
      const want = planServers(this.route.shares());
      const { commands } = diffServers(this.applied, want);
      if (commands.length === 0) return;
      this.stats.syncs++;
      const failedDel = new Set<string>();
      for (const c of commands) {
        const answer = await runtimeCommand(this.socket, c);
        this.stats.commands++;
        if (isRuntimeError(answer)) {
          this.stats.commandErrors++;
          if (c.startsWith('del server ')) failedDel.add(c.slice(`del server ${BACKEND}/`.length));
          this.o.log?.warn({ command: c, answer: answer.trim() }, 'haproxy runtime command failed');
        }
      }
      // What HAProxy now has: the plan; a server whose removal failed is tried again next time.
      const old = this.applied;
      this.applied = new Map(want.map((p) => [p.name, p]));
      for (const name of failedDel) this.applied.set(name, { ...old.get(name)!, state: 'maint' });
      this.o.log?.debug({ servers: want.map((p) => `${p.name}=${p.state}/${p.weight}`) }, 'haproxy servers updated');
    } catch (err) {
      this.o.log?.warn({ error: (err as Error).message }, 'haproxy sync failed; will retry');
    } finally {
      this.syncing = false;
    }
  }

  /** Servers as last pushed, for status. */
  servers(): ServerPlan[] {
    return [...this.applied.values()];
  }

  /**
   * Pushes the (reloaded) certificates to HAProxy: `set ssl cert` + `commit ssl cert` per file;
   * new handshakes use them.
   */
  async reloadCertificates(): Promise<void> {
    if (!this.o.tls) return;
    const certs = this.o.tls.loaded();
    for (let i = 0; i < certs.length; i++) {
      const file = join(this.dir, 'certs', `${i}.pem`);
      const pem = `${certs[i].cert.toString().trim()}\n${certs[i].key.toString().trim()}\n`;
      const set = await runtimeCommand(this.socket, `set ssl cert ${file} <<\n${pem}\n`);
      if (!/Transaction (created|updated)/.test(set)) throw new Error(`set ssl cert ${file}: ${set.trim()}`);
      const commit = await runtimeCommand(this.socket, `commit ssl cert ${file}`);
      if (!/Success/.test(commit)) throw new Error(`commit ssl cert ${file}: ${commit.trim()}`);
    }
  }

  /** Stops HAProxy and removes its runtime directory. */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((resolve) => {
        const k = setTimeout(() => c.kill('SIGKILL'), 3000);
        c.once('exit', () => {
          clearTimeout(k);
          resolve();
        });
        c.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
