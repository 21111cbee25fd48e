/**
 * `npm run bench:dns`: dnsperf against anypick's static answers, a minimal raw Node UDP
 * responder (fixed reply, no parsing) and the dns2 library server, in one run. Each server is
 * pinned with `taskset -c 1`, dnsperf with `taskset -c 0`. Prints QPS, average and p99 latency
 * and the ratio anypick/raw (target ≥ 0.9).
 *
 * p99: dnsperf 2.10 has no latency histogram; it runs with `-v`, which prints every query's
 * latency, and the p99 is computed from those lines (the same client overhead for every target).
 * Env: BENCH_SECONDS (default 10), BENCH_ROUNDS (default 1; raw and anypick alternate).
 */
import { freePort } from '../../test/support/ports';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

const ZONE = `$ORIGIN example.com.
$TTL 300
@     3600 IN SOA ns1 hostmaster 1 3600 600 86400 60
@     NS   ns1
@     MX   10 mail
ns1   A    192.0.2.53
www   A    192.0.2.1
www   AAAA 2001:db8::1
mail  A    192.0.2.25
alias CNAME www
`;
const QUERIES = ['www.example.com A', 'www.example.com AAAA', 'mail.example.com A', 'example.com MX', 'example.com SOA', 'alias.example.com A'];

function have(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ensureDnsperf(): void {
  if (have('dnsperf')) return;
  process.stdout.write('dnsperf missing: apt-get install -y dnsperf\n');
  execFileSync('apt-get', ['install', '-y', 'dnsperf'], { stdio: 'inherit' });
}

const pinned = (cpu: string, cmd: string, args: string[]): [string, string[]] => (have('taskset') ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args]);

/** Resolves once the server answers a UDP query on `port`. */
async function waitReady(port: number): Promise<void> {
  const q = Buffer.from('abcd0100000100000000000003777777076578616d706c6503636f6d0000010001', 'hex');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      const t = setTimeout(() => { s.close(); resolve(false); }, 200);
      s.on('message', () => { clearTimeout(t); s.close(); resolve(true); });
      s.send(q, port, '127.0.0.1');
    });
    if (ok) return;
  }
  throw new Error(`server on port ${port} never answered`);
}

interface Result {
  name: string;
  qps: number;
  avgMs: number;
  p99Ms: number;
  lost: string;
}

function runDnsperf(name: string, port: number, dataFile: string, outFile: string, extra: string[]): Result {
  const fd = openSync(outFile, 'w');
  const [cmd, args] = pinned('0', 'dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', dataFile, '-l', String(SECONDS), '-c', '8', '-q', '200', '-v', ...extra]);
  try {
    execFileSync(cmd, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const text = readFileSync(outFile, 'utf8');
  const lat: number[] = [];
  for (const m of text.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) lat.push(Number(m[1]));
  lat.sort((a, b) => a - b);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const avg = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const lost = /Queries lost:\s+(\d+ \([\d.]+%\))/.exec(text)?.[1] ?? '?';
  const p99 = lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] : NaN;
  return { name, qps, avgMs: avg * 1000, p99Ms: p99 * 1000, lost };
}

async function measure(name: string, start: (port: number) => ChildProcess, dir: string, extra: string[] = []): Promise<Result> {
  const port = await freePort(); // kernel-chosen
  const child = start(port);
  try {
    await waitReady(port);
    return runDnsperf(name, port, join(dir, 'queries.txt'), join(dir, 'out', `${name}.out`), extra);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

async function main(): Promise<void> {
  ensureDnsperf();
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-'));
  // dnsperf's -v output goes to its own directory, away from the watched zone directory.
  const out = join(dir, 'out');
  mkdirSync(out);
  mkdirSync(join(dir, 'zones'));
  writeFileSync(join(dir, 'zones', 'example.com.zone'), ZONE);
  writeFileSync(join(dir, 'queries.txt'), QUERIES.join('\n') + '\n');
  const node = process.execPath;
  const serve = (port: number): ChildProcess => spawn(...pinned('1', node, [join(ROOT, 'dist/src/cli/main.js'), 'serve', join(dir, 'zones', 'example.com.zone'), '--dns', `127.0.0.1:${port}`, '--log-level', 'warn']), { stdio: 'ignore' });
  const raw = (port: number): ChildProcess => spawn(...pinned('1', node, [join(ROOT, 'dist/bench/dns/raw-responder.js'), String(port)]), { stdio: 'ignore' });
  const dns2 = (port: number): ChildProcess => spawn(...pinned('1', node, [join(ROOT, 'dist/bench/dns/dns2-responder.js'), String(port)]), { stdio: 'ignore' });
  process.stdout.write(`dnsperf -l ${SECONDS} -c 8 -q 200 -v (pinned: dnsperf cpu 0, servers cpu 1${have('taskset') ? '' : ' — taskset missing, NOT pinned'})\n`);
  const results: Result[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      results.push(await measure('raw-node', raw, dir));
      results.push(await measure('anypick', serve, dir));
    }
    // The same static answers asked with EDNS and an ECS option (198.51.100.0/24): the patch path that appends ECS.
    results.push(await measure('anypick+ecs', serve, dir, ['-E', '8:00011800c63364']));
    results.push(await measure('dns2', dns2, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${'target'.padEnd(12)} ${'QPS'.padStart(10)} ${'avg ms'.padStart(8)} ${'p99 ms'.padStart(8)}  lost\n`);
  for (const x of results) {
    process.stdout.write(`${x.name.padEnd(12)} ${x.qps.toFixed(0).padStart(10)} ${x.avgMs.toFixed(3).padStart(8)} ${x.p99Ms.toFixed(3).padStart(8)}  ${x.lost}\n`);
  }
  const best = (n: string): number => Math.max(...results.filter((x) => x.name === n).map((x) => x.qps));
  const ratio = best('anypick') / best('raw-node');
  process.stdout.write(`\nanypick/raw = ${ratio.toFixed(3)} (target >= 0.9: ${ratio >= 0.9 ? 'met' : 'NOT met'}); dns2/raw = ${(best('dns2') / best('raw-node')).toFixed(3)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench:dns failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
