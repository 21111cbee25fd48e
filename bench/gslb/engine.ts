/**
 * `npm run bench:gslb-engine`: what anypick's JavaScript costs per query, without sockets. The
 * same engine `anypick serve` builds (seed example 3, geo-data/sample.mmdb) answers the
 * bench:gslb query mixes through the batch path's own loop (`BatchAnswerer`, udp-batch.ts):
 * each batch of 64 queries is copied into the receive ring as recvmmsg would leave it, answered
 * into the send buffer, and "sent" by a counter. CPU time is the process's own
 * (`process.cpuUsage`, user + system), so other work on the machine changes it little.
 * Prints ns per query for each mix, best of BENCH_ROUNDS (default 5) interleaved rounds, and
 * the cost of filling the ring alone (what the kernel's copy stands in for), which is taken off.
 * Environment: BENCH_QUERIES (default 200,000 per mix and round), BENCH_ROUNDS, BENCH_MIX (some of
 * mix,spread,cold; default all).
 */
import { ResponseRateLimiter } from '../../src/dns/rrl';
import { mkdtempSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadPaths } from '../../src/config/load';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { BATCH_SLOTS, BATCH_SLOT_SIZE, BatchAnswerer } from '../../src/dns/udp-batch';
import { DatacenterPicks } from '../../src/cli/commands/serve-datacenter';
import { ANYPICK_ZONE } from './peers';
import { coldMix, queryMix, spreadMix } from './queries';

const ROOT = join(__dirname, '..', '..', '..');
const SAMPLE_DB = join(ROOT, 'geo-data', 'sample.mmdb');
const SEED_3 = join(ROOT, 'examples', 'seed', '3-datacenter-pick.delivery');
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// BENCH_MIX=mix,spread,cold selects mixes; BENCH_RRL=N turns response rate limiting on (below).
const META_INTS = 8;

/** Splits dnsperf's binary input (2-byte length, message) into messages. */
function messages(framed: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o + 2 <= framed.length; ) {
    const n = framed.readUInt16BE(o);
    out.push(framed.subarray(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return out;
}

/** Copies queries [from, from + n) of `msgs` (cyclically) into the ring, as from 127.0.0.1. */
function fill(b: BatchAnswerer, msgs: Buffer[], from: number, n: number): void {
  const meta = new Int32Array(b.rxMeta.buffer, b.rxMeta.byteOffset, BATCH_SLOTS * META_INTS);
  for (let i = 0; i < n; i++) {
    const q = msgs[(from + i) % msgs.length];
    q.copy(b.rx, i * BATCH_SLOT_SIZE);
    const m = i * META_INTS;
    meta[m] = q.length;
    meta[m + 1] = 4;
    meta[m + 2] = 40000 + (i & 1023);
    meta[m + 3] = 0;
    b.rxMeta[(m + 4) * 4] = 127;
    b.rxMeta[(m + 4) * 4 + 3] = 1;
  }
}

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** CPU ns per query for `total` queries of `msgs` through `b` (with `answer` false: the ring fill alone). */
function run(b: BatchAnswerer, msgs: Buffer[], total: number, answer: boolean): number {
  const t0 = cpuNs();
  for (let done = 0; done < total; done += BATCH_SLOTS) {
    fill(b, msgs, done, BATCH_SLOTS);
    if (answer) b.answer(BATCH_SLOTS);
  }
  return (cpuNs() - t0) / total;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-engine-'));
  try {
    writeFileSync(join(dir, 'example.com.zone'), ANYPICK_ZONE);
    copyFileSync(SEED_3, join(dir, '3-datacenter-pick.delivery'));
    const loaded = loadPaths([dir]);
    if (loaded.errors.length) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
    const logger = pino({ level: 'silent' });
    const picks = DatacenterPicks.open([SAMPLE_DB], logger);
    // BENCH_RRL=N: with response rate limiting at N replies/s (as `serve --rrl N`; the bench's
    // one client address reaches no sensible N in-process, so every reply is checked, none cut).
    const rrlRate = process.env.BENCH_RRL ? Number(process.env.BENCH_RRL) : undefined;
    const guard = rrlRate ? { rrl: new ResponseRateLimiter({ ratePerSecond: rrlRate }) } : undefined;
    const engine = new DnsEngine(new DataSet(loaded.zones, picks.responders(loaded.model)), { logger, guard });
    let sent = 0;
    const b = new BatchAnswerer(engine, (n) => { sent += n; });
    const only = process.env.BENCH_MIX?.split(',');
    const mixes = [
      { key: 'mix', name: '8-region mix (reply-cache hits)', msgs: messages(queryMix()) },
      { key: 'spread', name: '2,560 subnets', msgs: messages(spreadMix()) },
      { key: 'cold', name: '100,000 /32s (first-seen clients)', msgs: messages(coldMix()) },
    ].filter((m) => !only || only.includes(m.key));
    const fillMsgs = messages(coldMix());
    const best = mixes.map(() => Infinity);
    let fillNs = Infinity;
    // Warm up (JIT, caches), then interleave rounds so drift spreads over every mix.
    for (const m of mixes) run(b, m.msgs, Math.min(QUERIES, 100_000), true);
    for (let r = 0; r < ROUNDS; r++) {
      mixes.forEach((m, i) => { best[i] = Math.min(best[i], run(b, m.msgs, QUERIES, true)); });
      fillNs = Math.min(fillNs, run(b, fillMsgs, QUERIES, false));
    }
    if (sent === 0) throw new Error('no replies');
    const lines = [`engine CPU per query (process.cpuUsage, user+system), best of ${ROUNDS} rounds of ${QUERIES} queries; ring fill ${fillNs.toFixed(0)} ns/q taken off`];
    mixes.forEach((m, i) => lines.push(`${m.name.padEnd(36)} ${(best[i] - fillNs).toFixed(0).padStart(6)} ns/q`));
    process.stdout.write(lines.join('\n') + '\n');
    picks.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
