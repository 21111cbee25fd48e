/** Runs Knot DNS (`knotd`, Debian `knot`) on loopback with the given zones, for differential tests. */
import { spawn } from 'node:child_process';
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
  stop(): Promise<void>;
}

/** knotd lives in /usr/sbin, which is not always on a test runner's PATH. */
export const KNOTD = ['/usr/sbin/knotd', '/usr/bin/knotd'].find((p) => existsSync(p)) ?? 'knotd';
/** knotc beside it (`knotc zone-check` is Knot's offline zone checker; Debian ships no kzonecheck). */
export const KNOTC = KNOTD.replace(/knotd$/, 'knotc');

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
export async function startKnot(zones: { origin: string; file: string }[]): Promise<KnotServer> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `anypick-knot-${process.pid}-`));
    const port = await freePort();
    const conf = join(dir, 'knot.conf');
    writeFileSync(conf, knotConfig(dir, port, zones));
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
    const probe = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: (zones[0] as { origin: string }).origin, type: 'SOA', class: 'IN' }] });
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      const r = await exchangeUdp(port, probe, 200);
      if (r && ((r[3] as number) & 0x0f) === 0) return { port, stop };
      await new Promise((res) => setTimeout(res, 100));
    }
    await stop();
    if (/address already in use/i.test(log)) continue;
    throw new Error(`knotd did not start or did not load the zones:\n${log}`);
  }
  throw new Error('no free port found for knotd');
}
