/**
 * `npm run bench:dnssec`: what online signing costs, from one run on one core.
 *
 * - GSLB: dnsperf (CPU 0) against `anypick serve` (CPU 1) answering the datacenter pick's
 *   `example.com AAAA` with ECS from 8 regions (bench/gslb's mix) and from 2,560 subnets, DO=1:
 *   the zone unsigned, then signed with ECDSAP256SHA256 and with ED25519 keys. The signature
 *   cache is warm after the first query of each answer set (3 here), so the ratio shows the
 *   cost of signed replies on the hot path, not of signing.
 * - Static name (`www.example.com AAAA`, DO=1): anypick signed / unsigned, and the same for Knot
 *   (unsigned, and mod-onlinesign, which signs every answer as it is sent), pinned to CPU 1 too.
 * - Signing alone: µs per RRSIG for each algorithm (the key's sign over an A RRset's RRSIG
 *   input), in this process.
 * Environment: BENCH_SECONDS (default 10) per run, BENCH_ROUNDS (default 2); the best round counts.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { freePort } from '../../test/support/ports';
import { makeKeys } from '../../test/support/validators';
import { startKnot, startKnotSigned } from '../../test/interop/support/knot';
import type { KnotServer } from '../../test/interop/support/knot';
import { queryMix, spreadMix } from '../gslb/queries';
import { ANYPICK_ZONE } from '../gslb/peers';
import { readKeyDir } from '../../src/dnssec/keys';
import { ZoneSigner } from '../../src/dnssec/signer';
import { nameToWire } from '../../src/rrtype/wire';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SAMPLE_DB = join(ROOT, 'geo-data', 'sample.mmdb');
const SEED_3 = join(ROOT, 'examples', 'seed', '3-datacenter-pick.delivery');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const STATIC_ZONE = `${ANYPICK_ZONE}www AAAA 2001:db8::80\n`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** `www.example.com AAAA` with DO=1, dnsperf's binary framing. */
function staticQuery(): Buffer {
  const q = dnsPacket.encode({ type: 'query', id: 1, flags: 0, questions: [{ type: 'AAAA', name: 'www.example.com' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0x8000 } as dnsPacket.Answer] });
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return Buffer.concat([len, q]);
}

function dnsperf(p: number, queries: string): number {
  const out = execFileSync('taskset', ['-c', '0', 'dnsperf', '-s', '127.0.0.1', '-p', String(p), '-d', queries, '-B', '-l', String(SECONDS), '-c', '8', '-q', '200'], { maxBuffer: 1 << 26, encoding: 'utf8' });
  return Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

/** The reply's sections as dig sees them (checks that a target answers what it should). */
function digTypes(p: number, name: string, subnet?: string): string[] {
  const out = execFileSync('dig', ['+dnssec', '+norec', '+tries=1', '+time=2', '-p', String(p), '@127.0.0.1', name, 'AAAA', ...(subnet ? [`+subnet=${subnet}`] : [])], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /\sIN\s/.test(l) && !l.startsWith(';')).map((l) => l.split(/\s+/)[3] as string);
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return done();
    proc.once('exit', () => done());
    proc.kill('SIGTERM');
  });
}

/** Runs `anypick serve DIR` on CPU 1, checks it answers (signed when `signed`), measures. */
async function anypick(dir: string, queries: string, signed: boolean, probe: { name: string; subnet?: string }): Promise<number> {
  const p = await freePort();
  const proc = spawn('taskset', ['-c', '1', process.execPath, MAIN, 'serve', dir, '--geoip-db', SAMPLE_DB, '--dns', `127.0.0.1:${p}`, '--http', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    let types: string[] = [];
    for (let i = 0; i < 100; i++) {
      try {
        types = digTypes(p, probe.name, probe.subnet);
        if (types.includes('AAAA')) break;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    if (!types.includes('AAAA')) throw new Error(`anypick did not answer ${probe.name}:\n${err}`);
    if (types.includes('RRSIG') !== signed) throw new Error(`anypick ${signed ? 'unsigned' : 'signed'} answer: ${types.join(' ')}`);
    return dnsperf(p, queries);
  } finally {
    await stop(proc);
  }
}

async function knot(k: KnotServer, queries: string, signed: boolean): Promise<number> {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(k.pid)], { stdio: 'ignore' });
    const types = digTypes(k.port, 'www.example.com');
    if (types.includes('RRSIG') !== signed || !types.includes('AAAA')) throw new Error(`knot answered ${types.join(' ')}`);
    return dnsperf(k.port, queries);
  } finally {
    await k.stop();
  }
}

/** µs per RRSIG of each algorithm over a two-record A RRset, through the signer (cache bypassed by distinct content). */
function signingCost(dir13: string, dir15: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [alg, dir] of [['ECDSAP256SHA256', dir13], ['ED25519', dir15]] as const) {
    const signer = new ZoneSigner('example.com', readKeyDir(dir, 'example.com').filter((k) => k.flags === 256), { validity: 14 * 86400, refresh: 4 * 86400, inceptionOffset: 3600 });
    const owner = nameToWire('www.example.com');
    const n = 4000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) signer.sign({ owner, type: 1, ttl: 300, rdatas: [Buffer.from([192, 0, 2, i & 255]), Buffer.from([198, 51, (i >> 8) & 255, 1])] });
    out[alg] = Number(process.hrtime.bigint() - t0) / 1000 / n;
  }
  return out;
}

async function main(): Promise<number> {
  const missing = ['dnsperf', 'dig', 'taskset', 'dnssec-keygen', 'knotd', 'keymgr'].filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t} || test -x /usr/sbin/${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    process.stderr.write(`bench:dnssec needs ${missing.join(', ')} (apt-get install dnsperf bind9-dnsutils bind9-utils util-linux knot)\n`);
    return 3;
  }
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-dnssec-'));
  try {
    const files = { mix: join(dir, 'mix.bin'), spread: join(dir, 'spread.bin'), static: join(dir, 'static.bin') };
    writeFileSync(files.mix, queryMix('example.com', true));
    writeFileSync(files.spread, spreadMix('example.com', true));
    writeFileSync(files.static, staticQuery());
    // Three configurations of the same zone and delivery: unsigned, signed (13), signed (15).
    const conf = (name: string, alg?: 13 | 15): { dir: string; keys?: string } => {
      const d = join(dir, name);
      mkdirSync(d);
      writeFileSync(join(d, 'example.com.zone'), STATIC_ZONE);
      copyFileSync(SEED_3, join(d, '3-datacenter-pick.delivery'));
      if (!alg) return { dir: d };
      const keys = join(dir, `keys-${name}`);
      mkdirSync(keys);
      makeKeys('example.com', { alg, dir: keys });
      writeFileSync(join(d, 'example.com.dnssec'), `keys: ${keys}\n`);
      return { dir: d, keys };
    };
    const plain = conf('unsigned');
    const s13 = conf('signed13', 13);
    const s15 = conf('signed15', 15);
    const gslbProbe = { name: 'example.com', subnet: '10.2.0.0/24' };
    const wwwProbe = { name: 'www.example.com' };
    const rows: Array<{ key: string; label: string; run: () => Promise<number> }> = [
      { key: 'gslb', label: 'anypick GSLB, unsigned zone (DO=1), 8 regions', run: () => anypick(plain.dir, files.mix, false, gslbProbe) },
      { key: 'gslb13', label: 'anypick GSLB, signed ECDSAP256SHA256, 8 regions', run: () => anypick(s13.dir, files.mix, true, gslbProbe) },
      { key: 'gslb15', label: 'anypick GSLB, signed ED25519, 8 regions', run: () => anypick(s15.dir, files.mix, true, gslbProbe) },
      { key: 'spread', label: 'anypick GSLB, unsigned zone, 2,560 subnets', run: () => anypick(plain.dir, files.spread, false, gslbProbe) },
      { key: 'spread13', label: 'anypick GSLB, signed ECDSAP256SHA256, 2,560 subnets', run: () => anypick(s13.dir, files.spread, true, gslbProbe) },
      { key: 'static', label: 'anypick www, unsigned zone (DO=1)', run: () => anypick(plain.dir, files.static, false, wwwProbe) },
      { key: 'static13', label: 'anypick www, signed ECDSAP256SHA256', run: () => anypick(s13.dir, files.static, true, wwwProbe) },
      { key: 'knot', label: 'Knot www, unsigned (1 UDP worker)', run: async () => knot(await startKnot([{ origin: 'example.com', file: join(plain.dir, 'example.com.zone') }]), files.static, false) },
      {
        key: 'knot13',
        label: 'Knot www, mod-onlinesign ECDSAP256SHA256',
        run: async () => knot(await startKnotSigned([{ origin: 'example.com', file: join(s13.dir, 'example.com.zone'), keyFiles: readKeyFiles(s13.keys!), signing: 'online' }]), files.static, true),
      },
    ];
    const best = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of rows) {
        process.stderr.write(`bench: ${r.label} …\n`);
        best.set(r.key, [...(best.get(r.key) ?? []), await r.run()]);
      }
    }
    const q = (k: string): number => Math.max(...(best.get(k) ?? [NaN]));
    const ratio = (a: string, b: string): string => fmt(q(a) / q(b), 2);
    const cost = signingCost(join(dir, 'keys-signed13'), join(dir, 'keys-signed15'));
    const w = Math.max(...rows.map((r) => r.label.length));
    const lines = [
      `DNSSEC benchmark: dnsperf -c 8 -q 200 on CPU 0, each server alone on CPU 1, ${SECONDS}s per run, best of ${ROUNDS} rounds`,
      ...rows.map((r) => `${r.label.padEnd(w)}  ${fmt(q(r.key)).padStart(8)} q/s   rounds: ${(best.get(r.key) ?? []).map((x) => fmt(x)).join(' ')}`),
      '',
      `signed GSLB / unsigned GSLB, 8 regions:     ECDSAP256SHA256 ${ratio('gslb13', 'gslb')}, ED25519 ${ratio('gslb15', 'gslb')} (target ≥ 0.8, cache warm)`,
      `signed GSLB / unsigned GSLB, 2,560 subnets: ECDSAP256SHA256 ${ratio('spread13', 'spread')}`,
      `static name, signed / unsigned:             anypick ${ratio('static13', 'static')}, Knot mod-onlinesign ${ratio('knot13', 'knot')}`,
      `static name, signed, anypick / Knot mod-onlinesign: ${ratio('static13', 'knot13')}`,
      `one RRSIG (signer, this process):           ECDSAP256SHA256 ${fmt(cost.ECDSAP256SHA256 ?? NaN, 1)} µs, ED25519 ${fmt(cost.ED25519 ?? NaN, 1)} µs`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `.key` files of a key directory. */
function readKeyFiles(dir: string): string[] {
  return readKeyDir(dir, 'example.com').map((k) => join(dir, `${k.base}.key`));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench:dnssec: ${(err as Error).stack ?? (err as Error).message}\n`);
    process.exitCode = 3;
  },
);
