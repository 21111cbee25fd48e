/**
 * `npm run bench:gslb-engine`: what anypick's JavaScript costs per query, without sockets. The
 * same engine `anypick serve` builds (seed example 3, geo-data/sample.mmdb) answers the
 * bench:gslb query mixes through the batch path's own loop (`BatchAnswerer`, udp-batch.ts):
 * each batch of 64 queries is copied into the receive ring as recvmmsg would leave it, answered
 * into the send buffer, and "sent" by a counter. CPU time is the process's own
 * (`process.cpuUsage`, user + system), so other work on the machine changes it little.
 * Prints ns per query for each mix, best of BENCH_ROUNDS (default 5) interleaved rounds, and
 * the cost of filling the ring alone (what the kernel's copy stands in for), which is taken off.
 * Each mix runs on three engines: seed example 3 as written (internet-location-then-dynamic-
 * weight), and with `dynamic: measured-latency-then-dynamic-weight` over an empty latency map
 * and over one holding 1,000,000 client networks — every /24 of 10.0.0.0/8 and /48 of
 * 2001:db8::/32 the mixes use measured from all three datacenters (so latency decides for each
 * query), the rest random IPv4 /24s measured from one — what the map costs the hot path.
 * Environment: BENCH_QUERIES (default 200,000 per mix and round), BENCH_ROUNDS, BENCH_MIX (some of
 * mix,spread,cold; default all), BENCH_LATENCY=0 (the location engine only).
 */
import { ResponseRateLimiter } from '../../src/dns/rrl';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadPaths } from '../../src/config/load';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { BATCH_SLOTS, BATCH_SLOT_SIZE, BatchAnswerer } from '../../src/dns/udp-batch';
import { DatacenterPicks } from '../../src/cli/commands/serve-datacenter';
import { ANYPICK_ZONE } from './peers';
import { readFileSync, mkdirSync } from 'node:fs';
import { LatencyMap } from '../../src/signals/latency-map';
import { networkKeyOf } from '../../src/util/network-key';
import { seededRandom } from '../../src/pick/random';
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

/** A latency map of `n` networks: the mixes' /24s and /48s from all three datacenters, the rest from one. */
function filledMap(n: number): LatencyMap {
  const map = new LatencyMap({ maxNetworks: n, maxAgeMs: 24 * 3_600_000 });
  const dcs = ['datacenter-1', 'datacenter-2', 'datacenter-3'];
  let held = 0;
  const add = (key: number, all: boolean): void => {
    if (map.get(key)) return;
    (all ? dcs : [dcs[key % 3]!]).forEach((dc, i) => map.record(dc, key, 10 + 20 * ((i + key) % 3), 10));
    held++;
  };
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) add(networkKeyOf(`10.${a}.${b}.0`), true);
  for (let h = 0; h < 65536; h++) add(networkKeyOf(`2001:db8:${h.toString(16)}::`), true);
  const rand = seededRandom(1);
  while (held < n) add(networkKeyOf(`${11 + Math.floor(rand() * 200)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.0`), false);
  return map;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-engine-'));
  try {
    const logger = pino({ level: 'silent' });
    // BENCH_RRL=N: with response rate limiting at N replies/s (as `serve --rrl N`; the bench's
    // one client address reaches no sensible N in-process, so every reply is checked, none cut).
    const rrlRate = process.env.BENCH_RRL ? Number(process.env.BENCH_RRL) : undefined;
    const guard = rrlRate ? { rrl: new ResponseRateLimiter({ ratePerSecond: rrlRate }) } : undefined;
    let sent = 0;
    const seed3 = readFileSync(SEED_3, 'utf8');
    const latencyDelivery = seed3.replace('dynamic: internet-location-then-dynamic-weight', 'dynamic: measured-latency-then-dynamic-weight\n    latency-min-samples: 1\n    exploration: 0%');
    if (latencyDelivery === seed3) throw new Error('seed example 3 has no internet-location-then-dynamic-weight line');
    const t0 = Date.now();
    const withLatency = process.env.BENCH_LATENCY !== '0';
    const big = withLatency ? filledMap(1_000_000) : undefined;
    const fillSeconds = (Date.now() - t0) / 1000;
    const variants = [
      { name: 'location', delivery: seed3, latency: undefined as LatencyMap | undefined },
      ...(withLatency ? [{ name: 'latency, empty map', delivery: latencyDelivery, latency: new LatencyMap() }, { name: 'latency, 1M networks', delivery: latencyDelivery, latency: big }] : []),
    ];
    const engines = variants.map((v, i) => {
      const d = join(dir, String(i));
      mkdirSync(d);
      writeFileSync(join(d, 'example.com.zone'), ANYPICK_ZONE);
      writeFileSync(join(d, '3-datacenter-pick.delivery'), v.delivery);
      const loaded = loadPaths([d]);
      if (loaded.errors.length) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
      const picks = DatacenterPicks.open([SAMPLE_DB], logger, undefined, v.latency);
      const engine = new DnsEngine(new DataSet(loaded.zones, picks.responders(loaded.model)), { logger, guard });
      return { ...v, picks, b: new BatchAnswerer(engine, (n) => { sent += n; }) };
    });
    const only = process.env.BENCH_MIX?.split(',');
    const mixes = [
      { key: 'mix', name: '8-region mix (reply-cache hits)', msgs: messages(queryMix()) },
      { key: 'spread', name: '2,560 subnets', msgs: messages(spreadMix()) },
      { key: 'cold', name: '100,000 /32s (first-seen clients)', msgs: messages(coldMix()) },
    ].filter((m) => !only || only.includes(m.key));
    const fillMsgs = messages(coldMix());
    const best = engines.map(() => mixes.map(() => Infinity));
    let fillNs = Infinity;
    // Warm up (JIT, caches), then interleave rounds so drift spreads over every mix.
    for (const e of engines) for (const m of mixes) run(e.b, m.msgs, Math.min(QUERIES, 100_000), true);
    for (let r = 0; r < ROUNDS; r++) {
      engines.forEach((e, j) => mixes.forEach((m, i) => { best[j]![i] = Math.min(best[j]![i]!, run(e.b, m.msgs, QUERIES, true)); }));
      fillNs = Math.min(fillNs, run(engines[0]!.b, fillMsgs, QUERIES, false));
    }
    if (sent === 0) throw new Error('no replies');
    const lines = [`engine CPU per query (process.cpuUsage, user+system), best of ${ROUNDS} rounds of ${QUERIES} queries; ring fill ${fillNs.toFixed(0)} ns/q taken off`];
    if (big) lines.push(`latency map: ${big.size} networks, filled in ${fillSeconds.toFixed(1)} s, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB in all`);
    lines.push(`${''.padEnd(36)} ${engines.map((e) => e.name.padStart(22)).join('')}`);
    mixes.forEach((m, i) => lines.push(`${m.name.padEnd(36)} ${engines.map((_, j) => `${(best[j]![i]! - fillNs).toFixed(0)} ns/q`.padStart(22)).join('')}`));
    if (big) mixes.forEach((m, i) => lines.push(`${m.name}: latency with 1M networks / location ${((best[2]![i]! - fillNs) / (best[0]![i]! - fillNs)).toFixed(2)}, / latency with an empty map ${((best[2]![i]! - fillNs) / (best[1]![i]! - fillNs)).toFixed(2)}`));
    process.stdout.write(lines.join('\n') + '\n');
    for (const e of engines) e.picks.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
