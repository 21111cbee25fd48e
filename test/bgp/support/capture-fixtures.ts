/**
 * Captures real BIRD messages into test/bgp/fixtures/: runs BIRD (exporting static routes) and
 * the speaker with trace logging in network namespaces, asks BIRD for a route refresh and a
 * shutdown, and writes every distinct received message as `bird-<type>-<n>.bin`.
 * Run as root: `node dist/test/bgp/support/capture-fixtures.js`.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from './netns';
import { Bird, until } from './bird';
import { ROOT } from './sidecar';

async function main(): Promise<void> {
  const root = ROOT;
  const out = join(root, 'test', 'bgp', 'fixtures');
  mkdirSync(out, { recursive: true });
  const t = new Topology();
  const bird = new Bird(t, { exportStatic: true });
  const seen = new Map<string, string>();
  try {
    t.up();
    bird.start();
    const cfg = join(bird.dir, 'cfg');
    mkdirSync(cfg);
    copyFileSync(join(ROOT, 'examples', 'seed', '4-anycast-dns.delivery'), join(cfg, '4-anycast-dns.delivery'));
    const spk = t.spawn(t.spk, 'node', [join(root, 'dist/src/cli/main.js'), 'bgp', cfg, '--log-level', 'trace']);
    let buf = '';
    spk.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        try {
          const j = JSON.parse(l) as { msg?: string; type?: string; hex?: string };
          if (j.msg === 'bgp message received' && j.hex && j.type && !seen.has(j.hex)) seen.set(j.hex, j.type);
        } catch { /* not JSON */ }
      }
    });
    await until(() => bird.protocolState() === 'Established', 15000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    bird.birdc('reload', 'in', 'anypick');
    await new Promise((r) => setTimeout(r, 500));
    bird.birdc('disable', 'anypick', '"maintenance window"');
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    t.down();
    bird.cleanup();
  }
  const count = new Map<string, number>();
  for (const [hex, type] of seen) {
    const n = (count.get(type) ?? 0) + 1;
    count.set(type, n);
    writeFileSync(join(out, `bird-${type}-${n}.bin`), Buffer.from(hex, 'hex'));
  }
  process.stdout.write(`captured ${seen.size} messages: ${[...count].map(([k, v]) => `${k}×${v}`).join(', ')}\n`);
}

void main();
