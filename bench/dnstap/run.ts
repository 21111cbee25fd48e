/**
 * `npm run bench:dnstap`: what dnstap output costs DNS, and that a collector that is slow, dead
 * or absent costs nothing more, from one run on one core.
 *
 * dnsperf (CPU 0) against `anypick serve` (CPU 1) answering bench/gslb's mix (the datacenter
 * pick's `example.com AAAA` with ECS from 8 regions), five ways:
 * - `off`: no `--dnstap` (the reference of every ratio);
 * - `reading`: `--dnstap unix:SOCK` to `fstrm_capture` (on CPU 0 with dnsperf) writing to a file;
 * - `sample 10`: the same with `--dnstap-sample 10`;
 * - `stopped`: the collector connected, then SIGSTOPped (a collector that stops reading);
 * - `killed`: the collector connected, then SIGKILLed (absent; anypick retries in the back).
 * Each run also checks every query was answered (dnsperf's lost count) and reads anypick's
 * dnstap counters from /metrics: what was sent and what was dropped, by reason.
 * Environment: BENCH_SECONDS (default 10) per run, BENCH_ROUNDS (default 2); the best round counts.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports';
import { startCapture } from '../../test/support/dnstap';
import type { Capture } from '../../test/support/dnstap';
import { queryMix } from '../gslb/queries';
import { ANYPICK_ZONE } from '../gslb/peers';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SAMPLE_DB = join(ROOT, 'geo-data', 'sample.mmdb');
const SEED_3 = join(ROOT, 'examples', 'seed', '3-datacenter-pick.delivery');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

type Mode = 'off' | 'reading' | 'sample10' | 'stopped' | 'killed';
const LABELS: Record<Mode, string> = {
  off: 'no --dnstap (reference)',
  reading: '--dnstap, fstrm_capture reading',
  sample10: '--dnstap --dnstap-sample 10, fstrm_capture reading',
  stopped: '--dnstap, collector SIGSTOPped',
  killed: '--dnstap, collector killed',
};

interface Result {
  qps: number;
  lost: number;
  sent: number;
  dropped: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function dnsperf(p: number, queries: string): { qps: number; lost: number } {
  const out = execFileSync('taskset', ['-c', '0', 'dnsperf', '-s', '127.0.0.1', '-p', String(p), '-d', queries, '-B', '-l', String(SECONDS), '-c', '8', '-q', '200'], { maxBuffer: 1 << 26, encoding: 'utf8' });
  return { qps: Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), lost: Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? NaN) };
}

/** The dnstap series of a Prometheus scrape. */
async function counters(http: number): Promise<{ sent: number; dropped: Record<string, number> }> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const dropped: Record<string, number> = {};
  let sent = 0;
  for (const line of text.split('\n')) {
    const d = /^anypick_dnstap_dropped_total\{[^}]*reason="([a-z_]+)"[^}]*\} (\S+)/.exec(line);
    if (d) dropped[d[1]!] = (dropped[d[1]!] ?? 0) + Number(d[2]);
    const s = /^anypick_dnstap_sent_total(?:\{[^}]*\})? (\S+)/.exec(line);
    if (s) sent += Number(s[1]);
  }
  return { sent, dropped };
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return done();
    proc.once('exit', () => done());
    proc.kill('SIGTERM');
  });
}

/** One run: the collector (if any) in its state, anypick serve on CPU 1, dnsperf. */
async function run(dir: string, conf: string, queries: string, mode: Mode): Promise<Result> {
  const sock = join(dir, `tap-${mode}.sock`);
  let cap: Capture | undefined;
  if (mode !== 'off') {
    cap = await startCapture(['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', join(dir, `tap-${mode}.fstrm`)]);
    execFileSync('taskset', ['-p', '-c', '0', String(cap.child.pid)], { stdio: 'ignore' });
  }
  const [dns, http] = [await freePort(), await freePort()];
  const tap = mode === 'off' ? [] : ['--dnstap', `unix:${sock}`, ...(mode === 'sample10' ? ['--dnstap-sample', '10'] : [])];
  const proc = spawn('taskset', ['-c', '1', process.execPath, MAIN, 'serve', conf, '--geoip-db', SAMPLE_DB, '--dns', `127.0.0.1:${dns}`, '--http', `127.0.0.1:${http}`, '--log-level', 'info', ...tap], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const ready = (): boolean => log.includes('"msg":"serving"') && (mode === 'off' || log.includes('"msg":"dnstap connected"'));
    for (let i = 0; i < 200 && !ready(); i++) await sleep(50);
    if (!ready()) throw new Error(`anypick serve did not start (${mode}):\n${log}`);
    if (mode === 'stopped') cap!.child.kill('SIGSTOP');
    if (mode === 'killed') {
      await cap!.kill();
      for (let i = 0; i < 200 && !log.includes('dnstap collector unavailable'); i++) await sleep(50);
    }
    const r = dnsperf(dns, queries);
    return { ...r, ...(await counters(http)) };
  } finally {
    await stop(proc);
    if (cap) {
      if (mode === 'stopped') cap.child.kill('SIGCONT');
      await cap.kill();
    }
  }
}

async function main(): Promise<number> {
  const missing = ['dnsperf', 'taskset', 'fstrm_capture'].filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    process.stderr.write(`bench:dnstap needs ${missing.join(', ')} (apt-get install dnsperf fstrm-bin util-linux)\n`);
    return 3;
  }
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-dnstap-'));
  try {
    const queries = join(dir, 'mix.bin');
    writeFileSync(queries, queryMix('example.com'));
    const conf = join(dir, 'conf');
    mkdirSync(conf);
    writeFileSync(join(conf, 'example.com.zone'), ANYPICK_ZONE);
    copyFileSync(SEED_3, join(conf, '3-datacenter-pick.delivery'));
    const modes = Object.keys(LABELS) as Mode[];
    const results = new Map<Mode, Result[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const m of modes) {
        process.stderr.write(`bench: ${LABELS[m]} …\n`);
        results.set(m, [...(results.get(m) ?? []), await run(dir, conf, queries, m)]);
      }
    }
    const best = (m: Mode): Result => results.get(m)!.reduce((a, b) => (b.qps > a.qps ? b : a));
    const ref = best('off').qps;
    const w = Math.max(...modes.map((m) => LABELS[m].length));
    const lines = [
      `dnstap benchmark: dnsperf -c 8 -q 200 (and fstrm_capture) on CPU 0, anypick serve alone on CPU 1, ${SECONDS}s per run, best of ${ROUNDS} rounds`,
      ...modes.map((m) => {
        const b = best(m);
        const drops = Object.entries(b.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
        return `${LABELS[m].padEnd(w)}  ${fmt(b.qps).padStart(8)} q/s  ×${fmt(b.qps / ref, 2)} of off  lost ${b.lost}  sent ${b.sent}  dropped: ${drops}   rounds: ${results.get(m)!.map((x) => fmt(x.qps)).join(' ')}`;
      }),
      '',
      `collector slow or gone / no dnstap: stopped ×${fmt(best('stopped').qps / ref, 2)}, killed ×${fmt(best('killed').qps / ref, 2)} (the queue drops; DNS does not wait)`,
      `dnstap to a reading collector / no dnstap: every message ×${fmt(best('reading').qps / ref, 2)}, 1 in 10 ×${fmt(best('sample10').qps / ref, 2)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
