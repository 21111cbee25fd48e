import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { metricsText } from '../../src/bgp/metrics';
import { newCounters } from '../../src/bgp/status';
import type { AnnouncerStatus } from '../../src/bgp/status';
import { OPERATIONS_DOC, docEnvFiles } from './doc-blocks';
import { MAIN, query, startServe } from './serve-process';

const root = join(__dirname, '..', '..', '..');
const srcDir = join(root, 'src');
const DOC = readFileSync(OPERATIONS_DOC, 'utf8');

/** Every `.ts` file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

const sources = tsFiles(srcDir).map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));

/** `const NAME = 'value'` string constants of src/, for instrument names given by constant. */
function stringConstants(): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sources) {
    for (const m of s.text.matchAll(/\bconst\s+([A-Z][A-Z0-9_]*)\s*=\s*'([^']+)'/g)) out.set(m[1], m[2]);
  }
  return out;
}

/** Every OpenTelemetry instrument registered in src/: `meter.createX(name, …)`. */
function registeredInstruments(): Array<{ name: string; kind: string; file: string }> {
  const consts = stringConstants();
  const out: Array<{ name: string; kind: string; file: string }> = [];
  const re = /\.create(Counter|UpDownCounter|Histogram|Gauge|ObservableCounter|ObservableGauge|ObservableUpDownCounter)\(\s*([^,)]+)/g;
  for (const s of sources) {
    for (const m of s.text.matchAll(re)) {
      const arg = m[2].trim();
      const literal = /^['"`]([^'"`$]+)['"`]$/.exec(arg)?.[1];
      const name = literal ?? consts.get(arg);
      if (!name) throw new Error(`${s.file}: cannot resolve the instrument name ${arg}`);
      out.push({ name, kind: m[1], file: s.file });
    }
  }
  return out;
}

/** Native addon names (binding.gyp targets such as anypick_sockopt): module names, not series. */
const ADDONS = new Set(existsSync(join(root, 'binding.gyp'))
  ? [...readFileSync(join(root, 'binding.gyp'), 'utf8').matchAll(/"target_name"\s*:\s*"([^"]+)"/g)].map((m) => m[1]) : []);

/** Prometheus series names written by hand in src/ (complete names, not prefixes). */
function handWrittenSeries(): Array<{ name: string; file: string }> {
  return sources.flatMap((s) => [...s.text.matchAll(/\banypick_[a-z0-9_]*[a-z0-9]\b/g)].filter((m) => !ADDONS.has(m[0])).map((m) => ({ name: m[0], file: s.file })));
}

/** The `### …` section of the metrics reference whose table lists `series`. */
function docSection(series: string): string | undefined {
  const ref = DOC.split(/^## Metrics reference$/m)[1] ?? '';
  return ref.split(/^### /m).find((sec) => sec.includes(`| \`${series}\` |`));
}

/** Series names and their label keys in a Prometheus text exposition. */
function seriesOf(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1]);
    out.set(m[1], labels);
  }
  return out;
}

/**
 * Asserts a well-formed Prometheus text exposition (format 0.0.4): every sample's family has one
 * TYPE line before its samples, a family's samples are not interleaved with another's, and the
 * TYPE is the type docs/operations.md gives the series.
 */
function expectWellFormed(text: string): void {
  const typed = new Map<string, string>();
  const done = new Set<string>();
  const docTypes = new Map([...DOC.matchAll(/^\| `(anypick_[a-z0-9_]+)` \|(?: `[^`]+` \|)? (counter|gauge|histogram) \|/gm)].map((m) => [m[1], m[2]]));
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      expect(typed.has(type[1]), `second TYPE line for ${type[1]}`).to.equal(false);
      typed.set(type[1], type[2]);
      const documented = docTypes.get(type[1]);
      if (documented) expect(type[2], `TYPE of ${type[1]}`).to.equal(documented);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (!sample) continue;
    const base = sample[1].replace(/_(bucket|sum|count)$/, '');
    const family = typed.has(sample[1]) ? sample[1] : base;
    expect(typed.has(family), `sample of ${sample[1]} before (or without) its TYPE line`).to.equal(true);
    if (family !== current) {
      expect(done.has(family), `samples of ${family} are interleaved with another family's`).to.equal(false);
      if (current) done.add(current);
      current = family;
    }
  }
  expect(typed.size).to.be.greaterThan(3);
}

/** The Prometheus names listed in the doc table of a section (first column). */
function docTableNames(heading: string): string[] {
  const sec = (DOC.split(/^## Metrics reference$/m)[1] ?? '').split(/^### /m).find((s) => s.startsWith(heading + '\n')) ?? '';
  return [...sec.matchAll(/^\| `(anypick_[a-z0-9_]+)` \|/gm)].map((m) => m[1]);
}

/** Asserts both directions: every scraped series is documented with its labels; every documented one is scraped. */
function expectDocumented(scraped: Map<string, Set<string>>, heading: string): void {
  const names = [...scraped.keys()].filter((n) => n !== 'target_info');
  expect(names.length, 'the scrape returned no series').to.be.greaterThan(3);
  for (const name of names) {
    const sec = docSection(name);
    expect(sec, `${name} is missing from the tables of docs/operations.md`).to.not.equal(undefined);
    for (const label of scraped.get(name)!) {
      if (label === 'otel_scope_name') continue;
      expect(sec!, `label ${label} of ${name} is not documented`).to.include(`\`${label}\``);
    }
  }
  const listed = docTableNames(heading);
  expect(listed.length).to.be.greaterThan(3);
  for (const n of listed) expect(names, `docs/operations.md lists ${n}, which ${heading} does not export`).to.include(n);
}

describe('docs/operations.md metrics reference', () => {
  it('lists every instrument registered in src/ (the scan finds them)', () => {
    const found = registeredInstruments();
    expect(found.length, 'the scan found no instruments: is the pattern stale?').to.be.greaterThanOrEqual(10);
    expect(found.map((i) => i.name)).to.include.members(['anypick.dns.queries', 'anypick.utilization']);
    for (const i of found) expect(DOC, `${i.name} (${i.file}) is not in docs/operations.md`).to.include(`\`${i.name}\``);
  });

  it('no Prometheus series is written by hand in src/: serve and bgp both go through the OpenTelemetry exporter', () => {
    expect(handWrittenSeries().map((s) => `${s.file}: ${s.name}`)).to.deep.equal([]);
  });

  it('the OpenTelemetry and Prometheus names in the serve table belong together', () => {
    const rows = [...DOC.matchAll(/^\| `(anypick_[a-z0-9_]+)` \| `(anypick\.[a-z0-9_.]+)` \| (counter|gauge) \|/gm)];
    expect(rows.length).to.be.greaterThanOrEqual(10);
    for (const [, prom, otel, type] of rows) expect(prom).to.equal(otel.replace(/\./g, '_') + (type === 'counter' ? '_total' : ''));
  });

  it('matches a scrape of a real anypick serve (names, labels, well-formed families)', async function () {
    this.timeout(60000);
    // The doc's own token samples: the server's bindings and datacenter-1's agent token.
    const env = docEnvFiles();
    const tokens = env.get('/etc/anypick/tokens/serve.env')!.ANYPICK_TOKENS;
    const agentToken = env.get('/etc/anypick/tokens/report-datacenter-1.env')!.ANYPICK_TOKEN;
    // --dnstap to a socket nobody listens on: its series are exported (messages dropped as collector_absent).
    const noCollector = join(tmpdir(), `anypick-metrics-doc-${process.pid}-no-collector.sock`);
    const serve = await startServe([join(root, 'zones'), join(root, 'bgp'), '--geoip-db', join(root, 'geo-data', 'sample.mmdb'), '--dnstap', `unix:${noCollector}`], { ANYPICK_TOKENS: tokens }, true);
    try {
      const report = (token: string) => new Promise<number | null>((resolve) => {
        const args = [MAIN, 'report', '--once', '--tier', 'datacenter', '--service', 'my-service', '--member', 'datacenter-1',
          '--endpoint', `http://127.0.0.1:${serve.signalsPort}`, '--utilization', '0.3', '--log-level', 'silent'];
        execFile(process.execPath, args, { env: { ...process.env, ANYPICK_TOKEN: token } }, (err) => resolve(err ? (err as { code?: number }).code ?? 1 : 0));
      });
      expect(await report(agentToken)).to.equal(0);
      await report('not-a-token-of-anyone-here'); // refused: 401
      // A member clock an hour fast: its record is rejected as 'future' and counted per member.
      const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });
      const future = await fetch(`http://127.0.0.1:${serve.signalsPort}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` },
        body: JSON.stringify({ resourceLogs: [{
          resource: { attributes: [attr('anypick.tier', 'datacenter'), attr('anypick.service', 'my-service'), attr('anypick.member', 'datacenter-1')] },
          scopeLogs: [{ logRecords: [{ eventName: 'presence', timeUnixNano: `${BigInt(Date.now() + 3_600_000) * 1_000_000n}` }] }],
        }] }),
      });
      expect(((await future.json()) as { partialSuccess?: object }).partialSuccess).to.not.equal(undefined);
      // A client-latency point whose network is not one: refused as bad-network and counted.
      const rttDoc = readFileSync(join(root, 'docs', 'datacenter-pick.md'), 'utf8');
      const rttBody = /^```json otlp:metrics:client-rtt\n([\s\S]*?)^```$/m.exec(rttDoc)![1]!.replace('198.51.100.0/24', 'not-a-network');
      const rtt = await fetch(`http://127.0.0.1:${serve.signalsPort}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` }, body: rttBody });
      expect(((await rtt.json()) as { partialSuccess?: { errorMessage?: string } }).partialSuccess?.errorMessage).to.match(/anypick\.client\.network/);
      const reply = await query(serve.dnsPort, 'example.com', 'AAAA');
      expect(reply.answers?.length).to.be.greaterThan(0);
      await query(serve.dnsPort, 'nothing-here.example.com', 'A');
      // Answers reach the counter in one-second batches: scrape until they are there.
      let text = '';
      for (let i = 0; i < 40 && !/^anypick_dns_answers_total\{/m.test(text); i++) {
        await new Promise((r) => setTimeout(r, 250));
        text = await (await fetch(`http://127.0.0.1:${serve.httpPort}/metrics`)).text();
      }
      expectDocumented(seriesOf(text), 'anypick serve');
      expectWellFormed(text);
    } finally {
      await serve.stop();
    }
  });

  it('matches the BGP sidecar exposition (names, labels, one HELP/TYPE per family)', async () => {
    const status: AnnouncerStatus = {
      name: 'announce-routes', phase: 'up', prefixes: ['2001:db8::/48'],
      check: { kind: 'dns', healthy: true, passes: 2, failures: 0, lastResult: 'ok', lastChange: null },
      sessions: [{
        neighbor: '2001:db8:ffff:1::1', port: 179, localAsn: 64511, peerAsn: 65536, routerId: '192.0.2.53', peerRouterId: null,
        state: 'Established', holdTime: 90, announced: ['2001:db8::/48'], unannounced: [], bfd: null, lastError: null, lastTransition: new Date().toISOString(), counters: newCounters(),
      }],
    };
    const second = { ...status.sessions[0], neighbor: '2001:db8:ffff:2::1', state: 'Idle' as const, announced: [] };
    const text = await metricsText([status, { ...status, name: 'announce-other', sessions: [status.sessions[0], second] }]);
    expectDocumented(seriesOf(text), 'anypick bgp');
    expectWellFormed(text);
    // Every session counter is exported.
    for (const k of Object.keys(newCounters())) expect(text).to.match(new RegExp(`^anypick_bgp_${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}_total\\{`, 'm'));
  });
});
