/**
 * `anypick serve --workers 2` with tokens and TLS: one registry (the primary's receiver thread)
 * and both DNS workers answering from it. Reports go over HTTPS with curl --cacert; answers are
 * checked for 40 client subnets over TCP, which node:cluster hands to the workers in turn.
 * Also: token rotation on SIGHUP and on file change, TLS reload, mTLS.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAnypick } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { requireTools } from '../support/tools';
import { makeTestCerts } from '../support/tls';
import type { TestCerts } from '../support/tls';
import { docExamples } from './helpers';
import { DC1, DC2, DELIVERY, ZONE } from './two-datacenters';

const TOKEN1 = 'tls-token-datacenter-1-0123456789';
const TOKEN2 = 'tls-token-datacenter-2-0123456789';
const TOKEN1_NEW = 'tls-token-datacenter-1-rotated-0001';

// A long lease: 40 dig and many curl processes on a loaded 2-core machine take seconds.
const TIMING = `delivery global
  lease: 15s
  report-interval: 1s
`;

const body = (name: string, member: string): string => docExamples().get(name)!.body.replace('"datacenter-1"', `"${member}"`).replace(/,\s*\{ "key": "anypick.address"[^\n]*\}/, '');

/** POSTs with curl over https, verifying the server with `--cacert`; resolves with the HTTP status. */
function curl(port: number, ca: string, token: string, json: string, extra: string[] = []): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '--cacert', ca, ...extra,
      '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/json', '--data-binary', json,
      `https://127.0.0.1:${port}/v1/logs`], (err, out) => (err && !out ? reject(new Error(`curl: ${err.message}`)) : resolve(Number(out)))),
  );
}

/** `dig +tcp +subnet=…`: the sorted answer of example.com AAAA for that client subnet. */
function digSubnet(port: number, subnet: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+tcp', '+time=2', '+tries=1', `+subnet=${subnet}`, '+short', 'AAAA', 'example.com'], (err, out) =>
      err ? reject(new Error(`dig: ${err.message}`)) : resolve(out.split('\n').filter(Boolean).sort())),
  );
}

const SUBNETS = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `198.51.${i}.0/24` : `2001:db8:${(0x100 + i).toString(16)}::/48`));

async function waitUntil<T>(what: string, ms: number, f: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const t0 = Date.now();
  let last: T | undefined;
  while (Date.now() - t0 < ms) {
    last = await f();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not reached within ${ms} ms; last ${JSON.stringify(last)}`);
}

describe('signals: serve --workers 2 with TLS, rotation, mTLS', function () {
  this.timeout(90_000);
  let dir: string;
  let certs: TestCerts;
  const procs: AnypickProcess[] = [];
  const timers: NodeJS.Timeout[] = [];

  before(function () {
    requireTools(this, 'dig', 'curl', 'openssl');
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'anypick-signals-tls-'));
    certs = makeTestCerts(dir);
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    writeFileSync(join(dir, 'my-service.delivery'), DELIVERY);
    writeFileSync(join(dir, 'timing.delivery'), TIMING);
    writeFileSync(join(dir, 'tokens'), `${TOKEN1} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
  });
  afterEach(async () => {
    for (const t of timers.splice(0)) clearInterval(t);
    for (const p of procs.splice(0)) await p.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(extra: string[]): Promise<{ proc: AnypickProcess; dns: number; signals: number }> {
    const proc = spawnAnypick(['serve', join(dir, 'example.com.zone'), join(dir, 'my-service.delivery'), join(dir, 'timing.delivery'), '--dns', '127.0.0.1:0', '--http', '127.0.0.1:0', '--geoip-db', 'none',
      '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens'), '--signals-tls-cert', certs.cert, '--signals-tls-key', certs.key, ...extra]);
    procs.push(proc);
    const dns = (await proc.waitFor((l) => l.msg === 'dns listening (udp, tcp)')).port as number;
    const signals = ((await proc.waitFor((l) => l.msg === 'OTLP signals receiver listening')).address as { port: number }).port;
    return { proc, dns, signals };
  }

  it('a not-ready report over https moves the answers of 40 client subnets on every worker', async () => {
    const s = await serve(['--workers', '2', '--query-log']);
    await s.proc.waitFor((l) => l.msg === 'dns listening (udp, tcp)' && l.pid !== s.proc.logs.find((x) => x.msg === 'dns listening (udp, tcp)')!.pid);
    // Both members report (datacenter-2 keeps doing so); plain http is refused by the TLS listener.
    const report = async (): Promise<void> => {
      expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'))).to.equal(200);
      expect(await curl(s.signals, certs.ca, TOKEN2, body('presence-up', 'datacenter-2'))).to.equal(200);
    };
    await report();
    const dc1Reports = setInterval(() => void curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1')).catch(() => undefined), 500);
    timers.push(dc1Reports, setInterval(() => void curl(s.signals, certs.ca, TOKEN2, body('presence-up', 'datacenter-2')).catch(() => undefined), 500));
    await expectPlainHttpFails(s.signals);
    const before = await Promise.all(SUBNETS.map((subnet) => digSubnet(s.dns, subnet)));
    for (const [i, a] of before.entries()) expect(a, SUBNETS[i]).to.deep.equal([DC1, DC2].sort());
    clearInterval(dc1Reports);

    const t0 = Date.now();
    expect(await curl(s.signals, certs.ca, TOKEN1, body('not-ready', 'datacenter-1'))).to.equal(200);
    await waitUntil('first subnet moved', 2000, () => digSubnet(s.dns, SUBNETS[0]!), (a) => a.length === 1);
    const moved = Date.now() - t0;
    const from = s.proc.logs.length;
    const answers = await Promise.all(SUBNETS.map((subnet) => digSubnet(s.dns, subnet)));
    for (const [i, a] of answers.entries()) expect(a, SUBNETS[i]).to.deep.equal([DC2]);
    const pids = new Set(s.proc.logs.slice(from).filter((l) => l.msg === 'query' && l.proto === 'tcp').map((l) => l.pid));
    expect(pids.size, 'queries answered by both workers').to.equal(2);
    process.stderr.write(`      (not-ready → first moved answer ${moved} ms, including curl and dig start-up; 40 subnets on ${pids.size} workers)\n`);

    // Rotation in the primary: SIGHUP re-reads the tokens file.
    writeFileSync(join(dir, 'tokens'), `${TOKEN1_NEW} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
    s.proc.child.kill('SIGHUP');
    await s.proc.waitFor((l) => l.msg === 'tokens reloaded');
    expect(await curl(s.signals, certs.ca, TOKEN1_NEW, body('presence-up', 'datacenter-1'))).to.equal(200);
    expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'))).to.equal(401);
    await waitUntil('datacenter-1 back on a worker', 3000, () => digSubnet(s.dns, SUBNETS[1]!), (a) => a.length === 2);
  });

  it('rotation without a restart: SIGHUP and file change; a bad file keeps the last good set; TLS files reloaded', async () => {
    const s = await serve([]);
    expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'))).to.equal(200);
    // Overlap: old and new token both valid during the rotation.
    writeFileSync(join(dir, 'tokens'), `${TOKEN1} datacenter my-service datacenter-1\n${TOKEN1_NEW} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
    s.proc.child.kill('SIGHUP');
    await s.proc.waitFor((l) => l.msg === 'tokens reloaded');
    expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'))).to.equal(200);
    expect(await curl(s.signals, certs.ca, TOKEN1_NEW, body('presence-up', 'datacenter-1'))).to.equal(200);
    // The old token removed; noticed by the file watch (written elsewhere and renamed over, as tools do).
    const reloads = s.proc.logs.filter((l) => l.msg === 'tokens reloaded').length;
    writeFileSync(join(dir, 'tokens.new'), `${TOKEN1_NEW} datacenter my-service datacenter-1\n${TOKEN2} datacenter my-service datacenter-2\n`);
    renameSync(join(dir, 'tokens.new'), join(dir, 'tokens'));
    await waitUntil('file-change reload', 5000, async () => s.proc.logs.filter((l) => l.msg === 'tokens reloaded').length, (n) => n > reloads);
    expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'))).to.equal(401);
    expect(await curl(s.signals, certs.ca, TOKEN1_NEW, body('presence-up', 'datacenter-1'))).to.equal(200);
    // A broken file: logged, the last good set stays.
    writeFileSync(join(dir, 'tokens'), 'short datacenter my-service datacenter-1\n');
    s.proc.child.kill('SIGHUP');
    await s.proc.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('tokens not reloaded'));
    expect(await curl(s.signals, certs.ca, TOKEN1_NEW, body('presence-up', 'datacenter-1'))).to.equal(200);
    // New certificate files under the same names: the next handshake uses them.
    const next = certs.reissue();
    renameSync(next.cert, certs.cert);
    renameSync(next.key, certs.key);
    s.proc.child.kill('SIGHUP');
    await s.proc.waitFor((l) => l.msg === 'signals receiver TLS files reloaded');
    expect(await curl(s.signals, certs.ca, TOKEN1_NEW, body('presence-up', 'datacenter-1'))).to.equal(200);
    expect(s.proc.child.exitCode).to.equal(null);
  });

  it('mTLS: a client certificate from --signals-tls-client-ca is required, and the token still is', async () => {
    const s = await serve(['--signals-tls-client-ca', certs.ca]);
    const withCert = ['--cert', certs.clientCert, '--key', certs.clientKey];
    expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'), withCert)).to.equal(200);
    expect(await curl(s.signals, certs.ca, 'not-a-valid-token-0000000000', body('presence-up', 'datacenter-1'), withCert)).to.equal(401);
    expect(await curl(s.signals, certs.ca, TOKEN1, body('presence-up', 'datacenter-1'))).to.equal(0); // handshake refused: no HTTP status
  });

  it('anypick report --ca reports over https; without the CA the certificate is not trusted', async () => {
    const s = await serve([]);
    const report = (extra: string[]): Promise<number | null> => {
      const p = spawnAnypick(['report', '--once', '--tier', 'datacenter', '--service', 'my-service', '--member', 'datacenter-1', '--endpoint', `https://127.0.0.1:${s.signals}`, '--token', TOKEN1, ...extra]);
      procs.push(p);
      return new Promise((r) => p.child.once('exit', (code) => r(code)));
    };
    expect(await report(['--ca', certs.ca])).to.equal(0);
    expect(await report([])).to.equal(3);
  });

  it('the proxy tiers take the same TLS options (one receiver code path) and rotate tokens on SIGHUP', async () => {
    writeFileSync(join(dir, 'p.delivery'), 'list l:\n  a:\n    priority: 1\n    members:\n      m1 127.0.0.1:9\n\nservice s:\n  next-hop: list.l\n');
    writeFileSync(join(dir, 'ptokens'), `${TOKEN1} service s m1\n`);
    const proc = spawnAnypick(['proxy', join(dir, 'p.delivery'), '--service', 's', '--listen', '127.0.0.1:0', '--signals', '127.0.0.1:0', '--tokens', join(dir, 'ptokens'),
      '--signals-tls-cert', certs.cert, '--signals-tls-key', certs.key]);
    procs.push(proc);
    const port = ((await proc.waitFor((l) => l.msg === 'OTLP signals receiver listening')).address as { port: number }).port;
    const m1 = docExamples().get('leaving')!.body.replace('"datacenter"', '"service"').replace('"my-service"', '"s"').replace('"datacenter-1"', '"m1"');
    expect(await curl(port, certs.ca, TOKEN1, m1)).to.equal(200);
    await expectPlainHttpFails(port);
    writeFileSync(join(dir, 'ptokens'), `${TOKEN1_NEW} service s m1\n`);
    proc.child.kill('SIGHUP');
    await proc.waitFor((l) => l.msg === 'tokens reloaded');
    expect(await curl(port, certs.ca, TOKEN1, m1)).to.equal(401);
    expect(await curl(port, certs.ca, TOKEN1_NEW, m1)).to.equal(200);
  });

  it('half a TLS pair is a usage error (exit 2), not a hang', async () => {
    const proc = spawnAnypick(['serve', dir, '--dns', '127.0.0.1:0', '--tokens', join(dir, 'tokens'), '--signals-tls-cert', certs.cert, '--workers', '2']);
    procs.push(proc);
    expect(await proc.stop('SIGCONT')).to.equal(2);
  });
});

async function expectPlainHttpFails(port: number): Promise<void> {
  let failed: boolean;
  try {
    const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(3000) });
    failed = r.status >= 400;
  } catch {
    failed = true;
  }
  expect(failed, 'plain http to the TLS receiver').to.equal(true);
}
