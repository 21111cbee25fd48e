/**
 * `npm run bench:ingest` — what hostile ingest does to DNS latency. One `anypick serve` with
 * signals answers example.com AAAA; a UDP sampler asks every 10 ms. Phases of equal length:
 *   idle        — only datacenter-2's regular reports (the reference, measured in the same run);
 *   gzip        — plus the 1 KiB gzip body inflating to ~1 MiB of empty log records, twice a second;
 *   slow bodies — plus 70 never-finishing bodies from one token;
 *   both        — gzip and slow bodies together.
 * Prints DNS p50/p99/max per phase and the ratio of each p99 to the idle p99; the issue's target
 * is p99 < 20 ms under the gzip load. Also the share of datacenter-2's reports answered 200.
 *
 * Options: --seconds N per phase (default 10).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAnypick } from '../../test/support/anypick';
import { DnsSampler, slowBodies } from '../../test/support/ingest-load';
import type { SampleStats } from '../../test/support/ingest-load';
import { inflatingGzipLogs } from '../../test/signals/hostile-bodies';
import { DELIVERY, ZONE } from '../../test/signals/two-datacenters';

const TOKEN1 = 'bench-ingest-token-datacenter-1-01';
const TOKEN2 = 'bench-ingest-token-datacenter-2-01';
const DC2_UP = JSON.stringify({ resourceLogs: [{
  resource: { attributes: [['anypick.tier', 'datacenter'], ['anypick.service', 'my-service'], ['anypick.member', 'datacenter-2']].map(([key, v]) => ({ key, value: { stringValue: v } })) },
  scopeLogs: [{ logRecords: [{ eventName: 'presence', attributes: [{ key: 'state', value: { stringValue: 'up' } }] }] }],
}] });

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '10'));
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-ingest-'));
  writeFileSync(join(dir, 'example.com.zone'), ZONE);
  writeFileSync(join(dir, 'my-service.delivery'), DELIVERY);
  writeFileSync(join(dir, 'tokens'), `${TOKEN1} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
  const proc = spawnAnypick(['serve', dir, '--dns', '127.0.0.1:0', '--http', '127.0.0.1:0', '--geoip-db', 'none', '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens')]);
  const results: Array<[string, SampleStats, string]> = [];
  try {
    const dns = (await proc.waitFor((l) => l.msg === 'dns listening (udp, tcp)')).port as number;
    const signals = ((await proc.waitFor((l) => l.msg === 'OTLP signals receiver listening')).address as { port: number }).port;
    const url = `http://127.0.0.1:${signals}/v1/logs`;
    let ok = 0;
    let all = 0;
    const report = setInterval(() => {
      void fetch(url, { method: 'POST', body: DC2_UP, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN2}` } })
        .then(async (r) => { all++; if (r.status === 200) ok++; await r.arrayBuffer(); }, () => { all++; });
    }, 250);
    await sleep(3500); // past the start-up grace
    const bomb = inflatingGzipLogs('datacenter-1');
    const sampler = new DnsSampler(dns);
    const phase = async (name: string, gzip: boolean, slow: boolean): Promise<void> => {
      ok = 0;
      all = 0;
      sampler.start();
      const end = Date.now() + seconds * 1000;
      let attack: ReturnType<typeof slowBodies> | undefined;
      const gzipCodes = new Map<number, number>();
      const gz = async (): Promise<void> => {
        while (Date.now() < end) {
          const t = Date.now();
          const r = await fetch(url, { method: 'POST', body: bomb, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', authorization: `Bearer ${TOKEN1}` } });
          gzipCodes.set(r.status, (gzipCodes.get(r.status) ?? 0) + 1);
          await r.arrayBuffer();
          await sleep(Math.max(0, 500 - (Date.now() - t)));
        }
      };
      const sl = async (): Promise<void> => {
        // A fresh wave of 70 whenever the last one was closed (429 at once, 408 at the body deadline).
        while (Date.now() < end) {
          attack = slowBodies(signals, TOKEN1, 70);
          await Promise.race([attack.done, sleep(end - Date.now())]);
          attack.close();
        }
      };
      await Promise.all([gzip ? gz() : sleep(end - Date.now()), slow ? sl() : Promise.resolve()]);
      const s = await sampler.stop();
      const extra = [gzip ? `gzip bodies: ${[...gzipCodes].map(([c, n]) => `${n}×${c}`).join(' ')}` : '', `datacenter-2 reports 200: ${ok}/${all}`].filter(Boolean).join('; ');
      results.push([name, s, extra]);
    };
    await phase('idle (reference)', false, false);
    await phase('gzip 2/s', true, false);
    await phase('70 slow bodies', false, true);
    await phase('gzip + slow bodies', true, true);
    clearInterval(report);
    sampler.close();
  } finally {
    await proc.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const idle = results[0]![1];
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`anypick ingest vs DNS (anypick serve --signals, receiver in its own thread; ${seconds} s per phase, UDP query every 10 ms)`);
  console.log('phase                  answered lost  p50 ms  p99 ms  max ms  p99/idle');
  for (const [name, s, extra] of results) {
    console.log(`${name.padEnd(22)} ${String(s.answered).padStart(8)} ${String(s.lost).padStart(4)} ${f(s.p50)} ${f(s.p99)} ${f(s.max)}  ${(s.p99 / idle.p99).toFixed(2).padStart(7)}   ${extra}`);
  }
  const gz = results[1]![1];
  console.log(`target: DNS p99 < 20 ms under the gzip load: ${gz.p99 < 20 ? 'met' : 'MISSED'} (${gz.p99.toFixed(1)} ms; idle ${idle.p99.toFixed(1)} ms on this machine)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
