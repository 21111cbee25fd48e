/**
 * `npm run bench:gslb`: dnsperf against anypick's datacenter pick, gdnsd's geoip plugin and a
 * raw Node responder, same query mix (example.com AAAA with ECS from 8 regions), same core.
 * Servers run on CPU 1 (`taskset -c 1`), dnsperf on CPU 0; then anypick with 1 and 2 worker
 * processes on both CPUs. Prints QPS, p99 latency and the ratios. See bench/gslb/README.md.
 * Environment: BENCH_SECONDS (default 10) per run, BENCH_ROUNDS (default 2) interleaved rounds,
 * BENCH_OUTSTANDING (default 200) dnsperf -q, BENCH_ONLY (a regular expression: only the targets
 * whose label matches).
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports';
import { REGION_MIX, coldMix, queryMix, spreadMix } from './queries';
import { gdnsdConfig, GDNSD_ZONE, ANYPICK_ZONE } from './peers';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RAW = join(__dirname, 'raw-responder.js');
const SAMPLE_DB = join(ROOT, 'geo-data', 'sample.mmdb');
const SEED_3 = join(ROOT, 'examples', 'seed', '3-datacenter-pick.delivery');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Replies per second per bucket for the `--rrl` run: above what one dnsperf reaches. */
const RRL_UNREACHED = 1_000_000;
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
/** dnsperf -q: outstanding queries per run (as in the peers facts). */
const OUTSTANDING = Number(process.env.BENCH_OUTSTANDING ?? 200);

interface Result { label: string; qps: number; p99ms: number; avgms: number; lost: number; sent: number; cpuUs: number }

/** CPU time (user + system) of process `pid` in microseconds, from /proc (clock ticks of 10 ms). */
function cpuUs(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch { return NaN; }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function have(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

function digShort(p: number, subnet: string): string {
  try {
    return execFileSync('dig', ['+short', '+tries=1', '+time=1', '-p', String(p), '@127.0.0.1', 'example.com', 'AAAA', `+subnet=${subnet}`], { encoding: 'utf8' }).trim();
  } catch { return ''; }
}

/** Waits until the server answers, then checks every region gets its datacenter. */
async function ready(p: number, label: string, check: boolean): Promise<void> {
  for (let i = 0; i < 100 && digShort(p, '10.1.0.0/24') === ''; i++) await sleep(100);
  if (digShort(p, '10.1.0.0/24') === '') throw new Error(`${label} did not answer on port ${p}`);
  if (!check) return;
  for (const r of REGION_MIX) {
    const got = digShort(p, `${r.address}/${r.prefix}`).replace(':0478:', ':478:');
    if (got !== r.want) throw new Error(`${label}: ${r.region} got '${got}', want ${r.want}`);
  }
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return done();
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => { clearTimeout(t); done(); });
    proc.kill('SIGTERM');
  });
}

/** Runs dnsperf (pinned to CPU 0) with per-query output and summarizes it. */
function dnsperf(label: string, p: number, queries: string): Result {
  const out = execFileSync('taskset', ['-c', '0', 'dnsperf', '-s', '127.0.0.1', '-p', String(p), '-d', queries, '-B', '-l', String(SECONDS), '-c', '8', '-q', String(OUTSTANDING), '-v'], { maxBuffer: 1 << 30, encoding: 'utf8' });
  const lat: number[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('> ')) {
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(v)) lat.push(v);
    }
  }
  lat.sort((a, b) => a - b);
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  return {
    label,
    qps: num(/Queries per second:\s+([\d.]+)/),
    p99ms: lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] * 1000 : NaN,
    avgms: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    cpuUs: NaN,
  };
}

async function measure(label: string, cpus: string, cmd: string[], p: number, queries: string, check: boolean): Promise<Result> {
  const proc = spawn('taskset', ['-c', cpus, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  try {
    await ready(p, label, check);
    process.stderr.write(`bench: ${label} …\n`);
    // The server's own CPU time per answered query: less sensitive to other load than QPS
    // (taskset execs the server, so its pid is the server's; with workers, the primary's only).
    const before = cpuUs(proc.pid);
    const r = dnsperf(label, p, queries);
    r.cpuUs = (cpuUs(proc.pid) - before) / Math.max(1, r.sent - r.lost);
    return r;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${err}`, { cause: e });
  } finally {
    await stop(proc);
  }
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

async function main(): Promise<number> {
  const missing = ['dnsperf', 'dig', 'taskset', 'gdnsd'].filter((t) => !have(t));
  if (missing.length) { process.stderr.write(`bench:gslb needs ${missing.join(', ')} (apt-get install dnsperf bind9-dnsutils util-linux gdnsd)\n`); return 3; }
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-gslb-'));
  try {
    const queries = join(dir, 'queries.bin');
    writeFileSync(queries, queryMix());
    const spread = join(dir, 'spread.bin');
    writeFileSync(spread, spreadMix());
    const cold = join(dir, 'cold.bin');
    writeFileSync(cold, coldMix());
    const ap = join(dir, 'anypick');
    mkdirSync(ap);
    writeFileSync(join(ap, 'example.com.zone'), ANYPICK_ZONE);
    copyFileSync(SEED_3, join(ap, '3-datacenter-pick.delivery'));
    const gd = join(dir, 'gdnsd');
    mkdirSync(join(gd, 'zones'), { recursive: true });
    writeFileSync(join(gd, 'zones', 'example.com'), GDNSD_ZONE);

    const anypick = (p: number, workers: number, ...more: string[]): string[] => [process.execPath, MAIN, 'serve', ap, '--geoip-db', SAMPLE_DB, '--dns', `127.0.0.1:${p}`, '--log-level', 'warn', '--workers', String(workers), ...more];
    const raw = (p: number): string[] => [process.execPath, RAW, String(p)];
    const gdnsd = (p: number): string[] => { writeFileSync(join(gd, 'config'), gdnsdConfig(p, SAMPLE_DB)); return ['gdnsd', '-c', gd, '-f', 'start']; };
    const all: { label: string; cpus: string; cmd: (p: number) => string[]; check: boolean; queries: string }[] = [
      { label: 'raw Node responder', cpus: '1', cmd: raw, check: false, queries },
      { label: 'anypick', cpus: '1', cmd: (p) => anypick(p, 1), check: true, queries },
      { label: 'gdnsd (geoip, 1 UDP thread)', cpus: '1', cmd: gdnsd, check: true, queries },
      { label: 'anypick --workers 1 (CPUs 0-1)', cpus: '0,1', cmd: (p) => anypick(p, 1), check: true, queries },
      { label: 'anypick --workers 2 (CPUs 0-1)', cpus: '0,1', cmd: (p) => anypick(p, 2), check: true, queries },
      // Client spread: the same servers with many distinct client subnets.
      { label: 'raw Node responder, 2,560 subnets', cpus: '1', cmd: raw, check: false, queries: spread },
      { label: 'anypick, 2,560 subnets', cpus: '1', cmd: (p) => anypick(p, 1), check: true, queries: spread },
      { label: 'gdnsd, 2,560 subnets', cpus: '1', cmd: gdnsd, check: true, queries: spread },
      { label: 'raw Node responder, 100,000 /32s', cpus: '1', cmd: raw, check: false, queries: cold },
      { label: 'anypick, 100,000 /32s', cpus: '1', cmd: (p) => anypick(p, 1), check: true, queries: cold },
      { label: 'gdnsd, 100,000 /32s', cpus: '1', cmd: gdnsd, check: true, queries: cold },
      // Response rate limiting on, at a rate the bench (one client address) never reaches:
      // what the bucket check costs on every reply.
      { label: `anypick --rrl ${RRL_UNREACHED}`, cpus: '1', cmd: (p) => anypick(p, 1, '--rrl', String(RRL_UNREACHED)), check: true, queries },
    ];
    // BENCH_ONLY=REGEX runs the targets whose label matches (ratios of absent targets print n/a).
    const targets = ONLY ? all.filter((t) => ONLY.test(t.label)) : all;
    // Rounds interleave the targets so load from other processes spreads over all of them;
    // each target's best round is reported.
    const runs: Result[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, t] of targets.entries()) {
        const p = await freePort(); // kernel-chosen (gdnsd cannot report a port it picked itself)
        runs[i].push(await measure(t.label, t.cpus, t.cmd(p), p, t.queries, t.check));
      }
    }
    const results = runs.map((rs) => rs.reduce((a, b) => (b.qps > a.qps ? b : a)));
    const qps = new Map(results.map((r) => [r.label, r.qps]));
    const ratio = (a: string, b: string): string => (qps.has(a) && qps.has(b) ? fmt(qps.get(a)! / qps.get(b)!, 2) : 'n/a');
    // Best (lowest) CPU time per query of each target over its rounds.
    const cpu = new Map(runs.map((rs) => [rs[0].label, Math.min(...rs.map((x) => x.cpuUs))]));
    const cpuRatio = (a: string, b: string): string => (cpu.has(a) && cpu.has(b) ? fmt(cpu.get(b)! / cpu.get(a)!, 2) : 'n/a');
    const [RAW_L, AP_L, GD_L, W1_L, W2_L, RAW_S, AP_S, GD_S, RAW_C, AP_C, GD_C, RRL_L] = all.map((t) => t.label);

    const w = Math.max(...results.map((r) => r.label.length));
    const lines = [
      `GSLB benchmark: example.com AAAA, ECS from ${REGION_MIX.length} regions, ${SECONDS}s per run, best of ${ROUNDS} rounds, dnsperf -c 8 -q ${OUTSTANDING} on CPU 0`,
      `${'server'.padEnd(w)}  ${'QPS'.padStart(8)}  ${'p99 ms'.padStart(7)}  ${'avg ms'.padStart(7)}  ${'lost'.padStart(12)}  ${'CPU µs/q'.padStart(8)}  all rounds QPS`,
      ...results.map((r, i) => `${r.label.padEnd(w)}  ${fmt(r.qps).padStart(8)}  ${fmt(r.p99ms, 3).padStart(7)}  ${fmt(r.avgms, 3).padStart(7)}  ${`${r.lost}/${r.sent}`.padStart(12)}  ${fmt(cpu.get(r.label)!, 2).padStart(8)}  ${runs[i].map((x) => fmt(x.qps)).join(' ')}`),
      '',
      `anypick / raw Node responder: ${ratio(AP_L, RAW_L)} (target ≥ 0.9)`,
      `anypick / gdnsd:              ${ratio(AP_L, GD_L)} (aim ≥ 0.45)`,
      `workers 2 / workers 1:        ${ratio(W2_L, W1_L)} (2 CPUs shared with dnsperf)`,
      `anypick --rrl / anypick:      ${ratio(RRL_L, AP_L)} by QPS, ${cpuRatio(RRL_L, AP_L)} by server CPU per query (target ≥ 0.95; every reply checked, none limited)`,
      '',
      'Client spread (same servers, more distinct ECS subnets):',
      `2,560 /24 and /56 subnets:   anypick / raw ${ratio(AP_S, RAW_S)}, anypick / gdnsd ${ratio(AP_S, GD_S)}`,
      `100,000 /32s (every query a new client): anypick / raw ${ratio(AP_C, RAW_C)}, anypick / gdnsd ${ratio(AP_C, GD_C)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => { process.exitCode = code; }, (err) => { process.stderr.write(`bench:gslb: ${(err as Error).message}\n`); process.exitCode = 3; });
