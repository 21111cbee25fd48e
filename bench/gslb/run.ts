/**
 * `npm run bench:gslb`: dnsperf against anypick's datacenter pick, gdnsd's geoip plugin and a
 * raw Node responder, same query mix (example.com AAAA with ECS from 8 regions), same core.
 * Servers run on CPU 1 (`taskset -c 1`), dnsperf on CPU 0; then anypick with 1 and 2 worker
 * processes on both CPUs. anypick runs on its batched UDP path (`--io batch`, recvmmsg/sendmmsg
 * through the native addon) and on the `--io dgram` fallback. Prints QPS, p99 latency, RSS of
 * anypick after each run, and the ratios. See bench/gslb/README.md.
 * Environment: BENCH_SECONDS (default 10) per run, BENCH_ROUNDS (default 2) interleaved rounds,
 * BENCH_OUTSTANDING (default 200) dnsperf -q, BENCH_ONLY (comma-separated target keys, e.g.
 * `anypick,gdnsd,anypick-cold,gdnsd-cold`: only those run; the other rows and ratios say n/a).
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports';
import { cpuSeconds } from '../../test/support/proc';
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
/** dnsperf -q: outstanding queries per run (as in the peers facts). */
const OUTSTANDING = Number(process.env.BENCH_OUTSTANDING ?? 200);

interface Result {
  label: string; qps: number; p99ms: number; avgms: number; lost: number; sent: number;
  rssBefore?: number; rssAfter?: number;
  /** CPU time of the server (all its threads and worker processes) per query sent, µs: user and kernel. */
  userUs?: number; sysUs?: number;
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
  };
}

/** Resident set size of `pid` and its children (the workers), MiB; NaN when unreadable. */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '--ppid', String(pid), '-p', String(pid)], { encoding: 'utf8' });
    return out.split('\n').map(Number).filter((n) => Number.isFinite(n)).reduce((a, b) => a + b, 0) / 1024;
  } catch { return NaN; }
}


async function measure(label: string, cpus: string, cmd: string[], p: number, queries: string, check: boolean): Promise<Result> {
  // exec: taskset replaces itself with the server, so the pid is the server's.
  const proc = spawn('taskset', ['-c', cpus, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  try {
    await ready(p, label, check);
    process.stderr.write(`bench: ${label} …\n`);
    const rssBefore = rssMiB(proc.pid);
    const cpu0 = cpuSeconds(proc.pid);
    const r = dnsperf(label, p, queries);
    const cpu1 = cpuSeconds(proc.pid);
    return { ...r, rssBefore, rssAfter: rssMiB(proc.pid), userUs: ((cpu1.user - cpu0.user) / r.sent) * 1e6, sysUs: ((cpu1.sys - cpu0.sys) / r.sent) * 1e6 };
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

    const anypick = (p: number, workers: number, io: 'batch' | 'dgram' = 'batch'): string[] => [process.execPath, MAIN, 'serve', ap, '--geoip-db', SAMPLE_DB, '--dns', `127.0.0.1:${p}`, '--http', '127.0.0.1:0', '--log-level', 'warn', '--workers', String(workers), '--io', io];
    const raw = (p: number): string[] => [process.execPath, RAW, String(p)];
    const gdnsd = (p: number): string[] => { writeFileSync(join(gd, 'config'), gdnsdConfig(p, SAMPLE_DB)); return ['gdnsd', '-c', gd, '-f', 'start']; };
    // anypick rows run `--io batch` (recvmmsg/sendmmsg through the addon; the run fails when
    // it is not built) unless marked `--io dgram`, the one-datagram-per-call fallback.
    const allTargets: { key: string; label: string; cpus: string; cmd: (p: number) => string[]; check: boolean; queries: string }[] = [
      { key: 'raw', label: 'raw Node responder', cpus: '1', cmd: raw, check: false, queries },
      { key: 'anypick', label: 'anypick', cpus: '1', cmd: (p) => anypick(p, 1), check: true, queries },
      { key: 'gdnsd', label: 'gdnsd (geoip, 1 UDP thread)', cpus: '1', cmd: gdnsd, check: true, queries },
      { key: 'dgram', label: 'anypick --io dgram', cpus: '1', cmd: (p) => anypick(p, 1, 'dgram'), check: true, queries },
      { key: 'w1', label: 'anypick --workers 1 (CPUs 0-1)', cpus: '0,1', cmd: (p) => anypick(p, 1), check: true, queries },
      { key: 'w2', label: 'anypick --workers 2 (CPUs 0-1)', cpus: '0,1', cmd: (p) => anypick(p, 2), check: true, queries },
      // Client spread: the same servers with many distinct client subnets.
      { key: 'raw-spread', label: 'raw Node responder, 2,560 subnets', cpus: '1', cmd: raw, check: false, queries: spread },
      { key: 'anypick-spread', label: 'anypick, 2,560 subnets', cpus: '1', cmd: (p) => anypick(p, 1), check: true, queries: spread },
      { key: 'gdnsd-spread', label: 'gdnsd, 2,560 subnets', cpus: '1', cmd: gdnsd, check: true, queries: spread },
      { key: 'raw-cold', label: 'raw Node responder, 100,000 /32s', cpus: '1', cmd: raw, check: false, queries: cold },
      { key: 'anypick-cold', label: 'anypick, 100,000 /32s', cpus: '1', cmd: (p) => anypick(p, 1), check: true, queries: cold },
      { key: 'dgram-cold', label: 'anypick --io dgram, 100,000 /32s', cpus: '1', cmd: (p) => anypick(p, 1, 'dgram'), check: true, queries: cold },
      { key: 'gdnsd-cold', label: 'gdnsd, 100,000 /32s', cpus: '1', cmd: gdnsd, check: true, queries: cold },
      // Response rate limiting on at a rate dnsperf never reaches: what the check costs.
      { key: 'rrl', label: `anypick --rrl ${RRL_UNREACHED}`, cpus: '1', cmd: (p) => [...anypick(p, 1), '--rrl', String(RRL_UNREACHED)], check: true, queries },
    ];
    const only = process.env.BENCH_ONLY?.split(',').map((k) => k.trim());
    const unknown = only?.filter((k) => !allTargets.some((t) => t.key === k)) ?? [];
    if (unknown.length) throw new Error(`BENCH_ONLY: no target ${unknown.join(', ')} (targets: ${allTargets.map((t) => t.key).join(', ')})`);
    const targets = only ? allTargets.filter((t) => only.includes(t.key)) : allTargets;
    // Rounds interleave the targets so load from other processes spreads over all of them;
    // each target's best round is reported.
    const runs: Result[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, t] of targets.entries()) {
        // Kernel-chosen TCP port (gdnsd cannot report a port it picked itself); its UDP twin
        // can still be taken by another process, or the port between check and bind: retry.
        for (let attempt = 1; ; attempt++) {
          const p = await freePort();
          try {
            runs[i].push(await measure(t.label, t.cpus, t.cmd(p), p, t.queries, t.check));
            break;
          } catch (err) {
            if (attempt === 3) throw err;
            process.stderr.write(`bench: ${t.label}: ${(err as Error).message.split('\n')[0]}; retrying on another port\n`);
          }
        }
      }
    }
    const results = runs.map((rs) => rs.reduce((a, b) => (b.qps > a.qps ? b : a)));
    const missing: Result = { label: '', qps: NaN, p99ms: NaN, avgms: NaN, lost: NaN, sent: NaN };
    const by = (key: string): Result => results[targets.findIndex((t) => t.key === key)] ?? missing;
    const q = (a: string, b: string): string => fmt(by(a).qps / by(b).qps, 2);
    const mem = (r: Result): string => (r.rssBefore === undefined ? '' : `  RSS ${fmt(r.rssBefore)}→${fmt(r.rssAfter ?? NaN)} MiB`);
    const cpuOf = (r: Result): number => (r.userUs ?? NaN) + (r.sysUs ?? NaN);
    const cpuRatio = (a: string, b: string): string => fmt(cpuOf(by(a)) / cpuOf(by(b)), 2);
    const cpu = (r: Result): string => `  CPU ${fmt(r.userUs ?? NaN, 2)}+${fmt(r.sysUs ?? NaN, 2)} µs/q`;

    const w = Math.max(...results.map((r) => r.label.length));
    const lines = [
      `GSLB benchmark: example.com AAAA, ECS from ${REGION_MIX.length} regions, ${SECONDS}s per run, best of ${ROUNDS} rounds, dnsperf -c 8 -q ${OUTSTANDING} on CPU 0`,
      `${'server'.padEnd(w)}  ${'QPS'.padStart(8)}  ${'p99 ms'.padStart(7)}  ${'avg ms'.padStart(7)}  ${'lost'.padStart(12)}  all rounds QPS, then the best round's server CPU per query (user+kernel) and RSS before→after`,
      ...results.map((r, i) => `${r.label.padEnd(w)}  ${fmt(r.qps).padStart(8)}  ${fmt(r.p99ms, 3).padStart(7)}  ${fmt(r.avgms, 3).padStart(7)}  ${`${r.lost}/${r.sent}`.padStart(12)}  ${runs[i].map((x) => fmt(x.qps)).join(' ')}${cpu(r)}${/^(raw|gdnsd)/.test(targets[i].key) ? '' : mem(r)}`),
      '',
      `anypick / raw Node responder: ${q('anypick', 'raw')} (target ≥ 0.9)`,
      `anypick / gdnsd:              ${q('anypick', 'gdnsd')} (target ≥ 1.0)`,
      `p99 anypick / gdnsd:          ${fmt(by('anypick').p99ms / by('gdnsd').p99ms, 2)} (target ≤ 2)`,
      `workers 2 / workers 1:        ${q('w2', 'w1')} (2 CPUs shared with dnsperf)`,
      `anypick --rrl / anypick:      ${q('rrl', 'anypick')} by QPS, ${cpuRatio('anypick', 'rrl')} by server CPU per query (target ≥ 0.95; every reply checked, none limited)`,
      '',
      'Batched I/O (anypick --io batch, the default where the addon is built, against the --io dgram fallback):',
      `8-region mix:  batch / dgram ${q('anypick', 'dgram')}, dgram / raw ${q('dgram', 'raw')}, dgram / gdnsd ${q('dgram', 'gdnsd')}`,
      `100,000 /32s:  batch / dgram ${q('anypick-cold', 'dgram-cold')}, dgram / raw ${q('dgram-cold', 'raw-cold')}, dgram / gdnsd ${q('dgram-cold', 'gdnsd-cold')}`,
      `server CPU per query, gdnsd / anypick (1 = as cheap as gdnsd; steadier than QPS on a loaded machine): 8-region mix ${cpuRatio('gdnsd', 'anypick')}, 100,000 /32s ${cpuRatio('gdnsd-cold', 'anypick-cold')}`,
      '',
      'Client spread (same servers, more distinct ECS subnets):',
      `2,560 /24 and /56 subnets:   anypick / raw ${q('anypick-spread', 'raw-spread')}, anypick / gdnsd ${q('anypick-spread', 'gdnsd-spread')}`,
      `100,000 /32s (every query a new client): anypick / raw ${q('anypick-cold', 'raw-cold')}, anypick / gdnsd ${q('anypick-cold', 'gdnsd-cold')} (target ≥ 0.8), p99 anypick / gdnsd ${fmt(by('anypick-cold').p99ms / by('gdnsd-cold').p99ms, 2)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => { process.exitCode = code; }, (err) => { process.stderr.write(`bench:gslb: ${(err as Error).message}\n`); process.exitCode = 3; });
