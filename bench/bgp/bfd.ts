/**
 * `npm run bench:bfd [TRIALS=10] [REFERENCE=2]`: a node freezes (SIGSTOP of every process in the
 * speaker's network namespace: the sidecar and the DNS server). Measures the time until the
 * anycast route leaves BIRD's table with BFD (`bfd on`, 100 ms × 3) and, as the reference in the
 * same run, without BFD (the 9 s hold timer), then the time until it is back after SIGCONT.
 * Prints every trial, p50 / max and the ratio reference / BFD. Root needed (network namespaces).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Topology } from '../../test/bgp/support/netns';
import { Bird, until } from '../../test/bgp/support/bird';
import { Sidecar, configDir, extendedConfig, startDns, removeDir, ROOT } from '../../test/bgp/support/sidecar';

const PREFIX = '2001:db8::53/128';

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil(s.length / 2) - 1]!;
}

async function phase(withBfd: boolean, trials: number): Promise<{ down: number[]; back: number[] }> {
  const t = new Topology();
  const bird = new Bird(t, { holdTime: 9, ...(withBfd ? { bfd: { intervalMs: 100, multiplier: 3 } } : {}) });
  const dir = configDir(extendedConfig({ holdTime: 9, neighbor: withBfd ? ['bfd;', 'bfd-interval 100ms;', 'bfd-multiplier 3;'] : [] }));
  const down: number[] = [];
  const back: number[] = [];
  try {
    t.up();
    bird.start();
    startDns(t);
    const s = new Sidecar(t, [dir, join(ROOT, 'zones', 'example.com.zone')]);
    const present = () => bird.birdc('show', 'route', 'for', PREFIX, 'protocol', 'anypick').includes(PREFIX);
    if (!(await until(present, 20000, 100))) throw new Error(`route never appeared:\n${s.log.slice(-2000)}`);
    for (let i = 0; i < trials; i++) {
      // Let the session live past the damping window (10 s) so every trial starts alike.
      await new Promise((r) => setTimeout(r, 10500 + Math.random() * 500));
      const pids = t.exec(t.spk, 'ip', 'netns', 'pids', t.spk).split(/\s+/).filter(Boolean).map(Number);
      const signal = (sig: NodeJS.Signals) => { for (const p of pids) { try { process.kill(p, sig); } catch { /* gone */ } } };
      const t0 = process.hrtime.bigint();
      signal('SIGSTOP');
      let gone = false;
      try {
        while (!gone) {
          gone = !present();
          if (Number(process.hrtime.bigint() - t0) / 1e6 > 20000) throw new Error('route not withdrawn within 20 s');
        }
      } finally {
        signal('SIGCONT');
      }
      const d = Number(process.hrtime.bigint() - t0) / 1e6;
      const t1 = process.hrtime.bigint();
      if (!(await until(present, 30000, 20))) throw new Error(`route did not come back:\n${s.log.slice(-3000)}`);
      const b = Number(process.hrtime.bigint() - t1) / 1e6;
      down.push(d);
      back.push(b);
      process.stdout.write(`${withBfd ? 'bfd      ' : 'reference'} trial ${String(i + 1).padStart(2)}: withdrawn after ${d.toFixed(0)} ms, back ${b.toFixed(0)} ms after SIGCONT\n`);
    }
    s.child.kill('SIGINT');
  } finally {
    t.down();
    bird.cleanup();
    removeDir(dir);
  }
  return { down, back };
}

async function main(): Promise<void> {
  const trials = Number(process.argv[2] ?? 10);
  const refTrials = Number(process.argv[3] ?? 2);
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const bfd = await phase(true, trials);
  const ref = refTrials > 0 ? await phase(false, refTrials) : undefined;
  const f = (xs: number[]) => `p50 ${p50(xs).toFixed(0)} ms  min ${Math.min(...xs).toFixed(0)} ms  max ${Math.max(...xs).toFixed(0)} ms`;
  process.stdout.write(`\nnode frozen (SIGSTOP), BIRD hold time 9 s:\n`);
  process.stdout.write(`  with BFD 100 ms × 3, ${trials} trials: withdrawn ${f(bfd.down)}; back after SIGCONT ${f(bfd.back)}\n`);
  if (ref) {
    process.stdout.write(`  reference without BFD, ${refTrials} trials: withdrawn ${f(ref.down)}\n`);
    process.stdout.write(`  ratio reference / BFD (p50 withdraw): ${(p50(ref.down) / p50(bfd.down)).toFixed(1)}×\n`);
  }
  process.stdout.write(`  target: withdrawn within ~1 s: ${Math.max(...bfd.down) < 1500 ? 'met' : 'NOT met'} (max ${Math.max(...bfd.down).toFixed(0)} ms)\n`);
  process.stdout.write(`  load: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:bfd: ${err.message}\n`);
  process.exitCode = 1;
});
