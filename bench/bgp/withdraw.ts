/**
 * `npm run bench:withdraw`: time from the DNS server being killed to the anycast route leaving
 * BIRD's table. BIRD and the sidecar run in their own network namespaces (root needed); the
 * check runs every 200 ms with fall 2. Prints every trial, p50, p99 and the poll granularity.
 * Usage: node dist/bench/bgp/withdraw.js [TRIALS=25]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Topology } from '../../test/bgp/support/netns';
import { Bird, until } from '../../test/bgp/support/bird';
import { Sidecar, configDir, extendedConfig, startDns, exited, removeDir, ROOT } from '../../test/bgp/support/sidecar';

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

async function main(): Promise<void> {
  const trials = Number(process.argv[2] ?? 25);
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const t = new Topology();
  const bird = new Bird(t, { holdTime: 9 });
  const dir = configDir(extendedConfig({ intervalMs: 200, timeoutMs: 150 }));
  const results: number[] = [];
  const polls: number[] = [];
  try {
    t.up();
    bird.start();
    let dns = startDns(t);
    const s = new Sidecar(t, [dir, join(ROOT, 'zones', 'example.com.zone')]);
    const present = () => bird.birdc('show', 'route', 'for', '2001:db8::53/128', 'protocol', 'anypick').includes('2001:db8::53/128');
    if (!(await until(present, 20000, 100))) throw new Error(`route never appeared:\n${s.log.slice(-2000)}`);
    for (let i = 0; i < trials; i++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 200)); // random phase against the check interval
      const t0 = process.hrtime.bigint();
      dns.kill('SIGKILL');
      let n = 0;
      let gone = false;
      while (!gone) {
        gone = !present();
        n++;
        if (Number(process.hrtime.bigint() - t0) / 1e6 > 10000) throw new Error('route not withdrawn within 10 s');
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      results.push(ms);
      polls.push(ms / n);
      process.stdout.write(`trial ${String(i + 1).padStart(2)}: ${ms.toFixed(0)} ms\n`);
      await exited(dns);
      dns = startDns(t);
      let dnsErr = '';
      dns.stderr!.on('data', (d: Buffer) => (dnsErr += d.toString()));
      if (!(await until(present, 15000, 50))) {
        throw new Error(`route did not come back\nsidecar: ${s.log.slice(-3000)}\ndns: ${dnsErr.slice(-2000)}\nbird: ${bird.birdc('show', 'protocols', 'all', 'anypick')}`);
      }
    }
    s.child.kill('SIGINT');
  } finally {
    t.down();
    bird.cleanup();
    removeDir(dir);
  }
  const sorted = [...results].sort((a, b) => a - b);
  const mean = polls.reduce((a, b) => a + b, 0) / polls.length;
  process.stdout.write(`\nwithdraw after DNS kill, ${trials} trials (check interval 200 ms, timeout 150 ms, fall 2):\n`);
  process.stdout.write(`  p50 ${percentile(sorted, 50).toFixed(0)} ms   p99 ${percentile(sorted, 99).toFixed(0)} ms   min ${sorted[0]!.toFixed(0)} ms   max ${sorted[sorted.length - 1]!.toFixed(0)} ms\n`);
  process.stdout.write(`  birdc poll granularity ≈ ${mean.toFixed(1)} ms; target p99 < 1000 ms: ${percentile(sorted, 99) < 1000 ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`  load: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:withdraw: ${err.message}\n`);
  process.exitCode = 1;
});
