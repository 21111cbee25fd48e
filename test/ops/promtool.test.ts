/**
 * Prometheus: every series the three long-running commands export passes `promtool check
 * metrics` (names, units, HELP/TYPE), scraped live from `anypick serve` (a signed zone among its
 * zones, so the DNSSEC families are there), `anypick bgp` and `anypick proxy`; the shipped alert
 * rules pass `promtool check rules` and their unit tests `promtool test rules`, and a wrong
 * expectation makes the unit tests fail.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { REPO_ROOT } from '../support/seed';
import { MAIN } from '../support/anypick';
import { freePort } from '../support/ports';
import { requireTools } from '../support/tools';
import { dig, makeKeys } from '../support/validators';
import { Backend } from '../l7/support/backends';
import { anypick } from '../l7/support/procs';
import { startServe } from './serve-process';
import { docEnvFiles } from './doc-blocks';

const RULES = join(REPO_ROOT, 'deploy', 'prometheus', 'anypick-rules.yml');
const RULE_TESTS = join(REPO_ROOT, 'deploy', 'prometheus', 'anypick-rules.test.yml');

/** `promtool check metrics` over an exposition: its complaints (none is the pass). */
function checkMetrics(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: (r.stdout + r.stderr).trim() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every metric family name of an exposition (from its TYPE lines). */
const families = (text: string): string[] => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);

/** What the three commands export, collected once for this file's tests (and the dashboard's). */
export const scraped = new Map<string, string>();

describe('ops: Prometheus — promtool over live /metrics, the shipped rules and their unit tests', function () {
  this.timeout(90_000);
  let dir: string;

  before(function () {
    requireTools(this, 'promtool', 'dnssec-keygen', 'dig');
    dir = mkdtempSync(join(tmpdir(), `anypick-prom-${process.pid}-`));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('anypick serve (signed zone, signals, queries answered): promtool check metrics finds nothing', async () => {
    cpSync(join(REPO_ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
    mkdirSync(join(dir, 'keys'));
    makeKeys('example.com', { alg: 13, dir: join(dir, 'keys') });
    writeFileSync(join(dir, 'zones', 'example.com.dnssec'), 'keys: ../keys\n');
    // The doc's own token sample, so the signals receiver (and its series) runs.
    const tokens = docEnvFiles().get('/etc/anypick/tokens/serve.env')!.ANYPICK_TOKENS!;
    const serve = await startServe([join(dir, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', join(REPO_ROOT, 'geo-data', 'sample.mmdb'), '--rrl', '1000'], { ANYPICK_TOKENS: tokens }, true);
    try {
      // One member reports (the doc's datacenter-1 agent token), so the member series exist.
      const agentToken = docEnvFiles().get('/etc/anypick/tokens/report-datacenter-1.env')!.ANYPICK_TOKEN!;
      const report = spawnSync(process.execPath, [MAIN, 'report', '--once', '--tier', 'datacenter', '--service', 'my-service', '--member', 'datacenter-1', '--endpoint', `http://127.0.0.1:${serve.signalsPort}`, '--utilization', '0.3', '--log-level', 'silent'], { env: { ...process.env, ANYPICK_TOKEN: agentToken }, encoding: 'utf8', timeout: 15_000 });
      expect(report.status, report.stderr).to.equal(0);
      // And a request with a token of no one: refused (401), counted.
      const refused = await fetch(`http://127.0.0.1:${serve.signalsPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token-of-anyone-here' }, body: '{}' });
      expect(refused.status).to.equal(401);
      for (const [name, type] of [['www.example.com', 'AAAA'], ['example.com', 'AAAA'], ['nope.example.com', 'A']] as const) await dig('127.0.0.1', serve.dnsPort, name, type, { rd: false });
      await dig('127.0.0.1', serve.dnsPort, 'www.example.com', 'AAAA', { rd: false, tcp: true });
      let text = '';
      for (let i = 0; i < 40 && !/^anypick_dns_answers_total\{/m.test(text); i++) {
        await sleep(250);
        text = await (await fetch(`http://127.0.0.1:${serve.httpPort}/metrics`)).text();
      }
      expect(families(text)).to.include.members(['anypick_dns_queries_total', 'anypick_dnssec_signatures_total', 'anypick_dns_answers_total']);
      const r = checkMetrics(text);
      expect(r, r.out).to.deep.equal({ status: 0, out: '' });
      scraped.set('serve', text);
    } finally {
      await serve.stop();
    }
  });

  it('anypick bgp (a passive loopback neighbor, the DNS check failing): promtool check metrics finds nothing', async () => {
    const bgpPort = await freePort();
    const statusPort = await freePort();
    const f = join(dir, 'bgp.delivery');
    writeFileSync(f, ['process dns:', '  listen: 127.0.0.1', 'process announce-routes:', '  dns:', '    check: dns', '    interval: 200ms', '    timeout: 200ms', '  routes neighbor 127.0.0.1', '    local-address 127.0.0.1;', '    local-asn 64511;', '    peer-asn 64512;', `    port ${bgpPort};`, '    passive;', '  prefix: 192.0.2.0/24', '  bgp: announce-routes.dns', ''].join('\n'));
    const child = spawn(process.execPath, [MAIN, 'bgp', f, '--status-http', `127.0.0.1:${statusPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let text = '';
      for (let i = 0; i < 60 && !/^anypick_bgp_session_state\{/m.test(text); i++) {
        await sleep(200);
        text = await fetch(`http://127.0.0.1:${statusPort}/metrics`).then((r) => r.text(), () => '');
      }
      expect(families(text)).to.include('anypick_bgp_session_state');
      const r = checkMetrics(text);
      expect(r, r.out).to.deep.equal({ status: 0, out: '' });
      scraped.set('bgp', text);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('anypick proxy (requests forwarded and refused): promtool check metrics finds nothing', async () => {
    const backend = await new Backend('one').start();
    const d = join(dir, 'proxy');
    mkdirSync(d);
    writeFileSync(join(d, 'p.delivery'), `list l:\n  a:\n    priority: 1\n    members:\n      m1 127.0.0.1:${backend.port}\n\nservice s:\n  next-hop: list.l\n`);
    const child = await anypick(['proxy', d, '--service', 's', '--listen', '127.0.0.1:0', '--status', '127.0.0.1:0', '--log-level', 'warn'], /status on/);
    try {
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
      const sp = Number(/status on 127\.0\.0\.1:(\d+)/.exec(child.output())![1]);
      for (let i = 0; i < 3; i++) await (await request(`http://127.0.0.1:${port}/x`, { headers: { host: 'example.com' } })).body.dump();
      const text = await (await fetch(`http://127.0.0.1:${sp}/metrics`)).text();
      expect(text).to.match(/^anypick_proxy_forwarded_total\{[^}]*service="s"[^}]*\} 3$/m);
      expect(text).to.match(/^anypick_proxy_ready\{[^}]*\} 1$/m);
      const r = checkMetrics(text);
      expect(r, r.out).to.deep.equal({ status: 0, out: '' });
      scraped.set('proxy', text);
    } finally {
      await child.stop();
      await backend.stop();
    }
  });

  it('promtool check metrics does complain about a badly named counter (the check can fail)', () => {
    const r = checkMetrics('# HELP anypick_bad A counter without _total.\n# TYPE anypick_bad counter\nanypick_bad 1\n');
    expect(r.out).to.match(/anypick_bad.*counter metrics should have "_total" suffix/);
  });

  it('the shipped alert rules pass promtool check rules, and their unit tests pass promtool test rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.match(/SUCCESS: \d+ rules found/);
    const t = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8', cwd: join(REPO_ROOT, 'deploy', 'prometheus') });
    expect(t.status, t.stdout + t.stderr).to.equal(0);
    expect(t.stdout).to.include('SUCCESS');
  });

  it('a unit test expecting the wrong alert labels fails (the unit tests can fail)', () => {
    const d = join(dir, 'rules');
    mkdirSync(d);
    cpSync(RULES, join(d, 'anypick-rules.yml'));
    writeFileSync(join(d, 'anypick-rules.test.yml'), readFileSync(RULE_TESTS, 'utf8').replace(/severity: page/, 'severity: ticket'));
    const t = spawnSync('promtool', ['test', 'rules', 'anypick-rules.test.yml'], { encoding: 'utf8', cwd: d });
    expect(t.status).to.not.equal(0);
    expect(t.stdout + t.stderr).to.match(/FAILED/);
  });

  it('the commands in deploy/prometheus/README.md are the ones run here', () => {
    const readme = readFileSync(join(REPO_ROOT, 'deploy', 'prometheus', 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    for (const line of block.trim().split('\n')) {
      const r = spawnSync('sh', ['-c', line], { cwd: join(REPO_ROOT, 'deploy', 'prometheus'), encoding: 'utf8' });
      expect(r.status, `${line}\n${r.stdout}${r.stderr}`).to.equal(0);
    }
    expect(block).to.include('promtool check rules anypick-rules.yml').and.include('promtool test rules anypick-rules.test.yml');
  });

  it('every query of the Grafana dashboard names series the commands export', () => {
    const dash = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'anypick-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };
    const exported = new Set([...scraped.values()].flatMap(families));
    const exprs = [...dash.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...dash.templating.list.flatMap((v) => (v.definition ? [v.definition] : []))];
    expect(dash.panels.length).to.be.greaterThan(8);
    for (const e of exprs) {
      const names = [...e.matchAll(/\b(anypick_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
      expect(names.length, `no anypick metric in: ${e}`).to.be.greaterThan(0);
      for (const n of names) expect(exported.has(n.replace(/_(bucket|sum|count)$/, '')), `${n} (dashboard: ${e}) is not exported by serve, bgp or proxy`).to.equal(true);
    }
  });

  it('every alert rule names series the commands export (or DNSSEC ones, exported once a zone is signed)', () => {
    const rules = readFileSync(RULES, 'utf8');
    const exported = new Set([...scraped.values()].flatMap(families));
    const used = [...rules.matchAll(/\b(anypick_[a-z0-9_]+)\b/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
    expect(used.length).to.be.greaterThan(5);
    const missing = [...new Set(used)].filter((n) => !exported.has(n));
    expect(missing, 'named in anypick-rules.yml, not exported by serve, bgp or proxy').to.deep.equal([]);
  });
});
