/** Runs Knot DNS (`knotd`, Debian `knot`) on loopback with the given zones, for differential tests. */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchangeUdp } from './client';
import { freePort } from '../../support/ports';
import * as dnsPacket from 'dns-packet';

/** A running knotd. */
export interface KnotServer {
  port: number;
  /** knotd's stderr so far. */
  log(): string;
  pid?: number;
  stop(): Promise<void>;
}

/** knotd lives in /usr/sbin, which is not always on a test runner's PATH. */
export const KNOTD = ['/usr/sbin/knotd', '/usr/bin/knotd'].find((p) => existsSync(p)) ?? 'knotd';
/** knotc beside it (`knotc zone-check` is Knot's offline zone checker; Debian ships no kzonecheck). */
export const KNOTC = KNOTD.replace(/knotd$/, 'knotc');
/** keymgr (Knot's key manager; `import-bind` reads dnssec-keygen's key pairs). */
export const KEYMGR = KNOTD.replace(/knotd$/, 'keymgr');

/** The knot.conf for `zones` (origin → file) listening on `port`, state kept in `dir`. */
export function knotConfig(dir: string, port: number, zones: { origin: string; file: string }[]): string {
  return [
    'server:',
    `  rundir: ${dir}`,
    `  listen: 127.0.0.1@${port}`,
    '  udp-workers: 1',
    '  tcp-workers: 1',
    'log:',
    '  - target: stderr',
    '    any: warning',
    'database:',
    `  storage: ${dir}`,
    'template:',
    '  - id: default',
    '    semantic-checks: on',
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    '    journal-content: none',
    'zone:',
    ...zones.flatMap((z) => [`  - domain: ${z.origin}.`, `    file: ${z.file}`]),
    '',
  ].join('\n');
}

/** Starts knotd on a kernel-chosen free loopback port (knotd cannot report a port 0 bind) and waits until it answers the first zone's SOA. */
export function startKnot(zones: { origin: string; file: string }[]): Promise<KnotServer> {
  return launchKnot((dir, port) => knotConfig(dir, port, zones), (zones[0] as { origin: string }).origin);
}

/**
 * Runs knotd with the config `config(dir, port)` (state in the temp `dir`) after `prepare(dir,
 * confFile)` (e.g. keymgr imports into its KASP database); resolves once `probeZone`'s SOA is
 * answered with NOERROR. Retries on another port when the chosen one was taken meanwhile.
 */
export async function launchKnot(config: (dir: string, port: number) => string, probeZone: string, prepare?: (dir: string, conf: string) => void): Promise<KnotServer> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `anypick-knot-${process.pid}-`));
    const port = await freePort();
    const conf = join(dir, 'knot.conf');
    writeFileSync(conf, config(dir, port));
    prepare?.(dir, conf);
    const child: ChildProcess = spawn(KNOTD, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    };
    const probe = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: probeZone, type: 'SOA', class: 'IN' }] });
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      const r = await exchangeUdp(port, probe, 200);
      if (r && ((r[3] as number) & 0x0f) === 0) return { port, stop, log: () => log, pid: child.pid };
      await new Promise((res) => setTimeout(res, 100));
    }
    await stop();
    if (/address already in use/i.test(log)) continue;
    throw new Error(`knotd did not start or did not load the zones:\n${log}`);
  }
  throw new Error('no free port found for knotd');
}

/** A zone Knot signs with BIND key files (imported with `keymgr import-bind`, Knot's policy `manual: on`: it makes no keys of its own). */
export interface KnotSignedZone {
  origin: string;
  file: string;
  /** `K….key` paths (a KSK + ZSK pair; Knot treats a lone flags-257 key as a KSK, not a CSK). */
  keyFiles: string[];
  /** `auto`: Knot's automatic signing (`dnssec-signing: on`, the zone signed at load); `online`: mod-onlinesign (each answer signed as it is sent). */
  signing: 'auto' | 'online';
  /** DNSKEY TTL and the zone's largest TTL (policy `dnskey-ttl`, `zone-max-ttl`). */
  ttl?: number;
}

/** The knot.conf for zones signed with imported keys. */
export function knotSignedConfig(dir: string, port: number, zones: KnotSignedZone[], opts: { workers?: number } = {}): string {
  const policy = (z: KnotSignedZone): string => `p${zones.indexOf(z)}`;
  return [
    'server:',
    `  rundir: ${dir}`,
    `  listen: 127.0.0.1@${port}`,
    `  udp-workers: ${opts.workers ?? 1}`,
    '  tcp-workers: 1',
    '  background-workers: 1',
    'log:',
    '  - target: stderr',
    '    any: warning',
    'database:',
    `  storage: ${dir}`,
    'policy:',
    ...zones.flatMap((z) => [`  - id: ${policy(z)}`, '    manual: on', `    dnskey-ttl: ${z.ttl ?? 300}`, `    zone-max-ttl: ${z.ttl ?? 300}`]),
    ...(zones.some((z) => z.signing === 'online') ? ['mod-onlinesign:', ...zones.filter((z) => z.signing === 'online').flatMap((z) => [`  - id: o${zones.indexOf(z)}`, `    policy: ${policy(z)}`])] : []),
    'template:',
    '  - id: default',
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    '    journal-content: none',
    'zone:',
    ...zones.flatMap((z) => [
      `  - domain: ${z.origin}.`,
      `    file: ${z.file}`,
      ...(z.signing === 'auto' ? ['    dnssec-signing: on', `    dnssec-policy: ${policy(z)}`] : [`    module: mod-onlinesign/o${zones.indexOf(z)}`]),
    ]),
    '',
  ].join('\n');
}

/** knotd serving `zones` signed with their BIND key files. */
export function startKnotSigned(zones: KnotSignedZone[], opts: { workers?: number } = {}): Promise<KnotServer> {
  return launchKnot(
    (dir, port) => knotSignedConfig(dir, port, zones, opts),
    (zones[0] as KnotSignedZone).origin,
    (_dir, conf) => {
      for (const z of zones) for (const k of z.keyFiles) execFileSync(KEYMGR, ['-c', conf, `${z.origin}.`, 'import-bind', k.replace(/\.key$/, '')], { stdio: 'ignore' });
    },
  );
}
