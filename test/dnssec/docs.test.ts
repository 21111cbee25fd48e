/**
 * docs/dnssec.md's examples, run as an operator would in a copy of the repository's example
 * configuration: the key-making commands, the settings file, `anypick check`, the kdig/delv
 * checks against a real serve, and both rollover procedures (their commands, and what check
 * then says about each key).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/seed';
import { serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { requireTools } from '../support/tools';
import { parseDnssecSettings, DEFAULT_SETTINGS } from '../../src/dnssec/settings';

const DOC = readFileSync(join(REPO_ROOT, 'docs', 'dnssec.md'), 'utf8');

/** The fenced block whose info string is `info` (e.g. `sh keys`). */
function block(info: string): string {
  const m = [...DOC.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].find((b) => b[1]!.trim() === info);
  if (!m) throw new Error(`docs/dnssec.md has no \`\`\`${info} block`);
  return m[2]!;
}

describe('docs/dnssec.md: every example runs', function () {
  this.timeout(60_000);
  let dir: string;
  let proc: AnypickProcess | undefined;
  let port: number;
  /** Runs a shell block in the working copy, `anypick` on PATH. */
  const sh = (text: string, env: Record<string, string> = {}): string =>
    execFileSync('bash', ['-euo', 'pipefail', '-c', text], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH ?? ''}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

  before(async function () {
    requireTools(this, 'dnssec-keygen', 'dnssec-settime', 'dnssec-dsfromkey', 'kdig', 'delv');
    dir = mkdtempSync(join(tmpdir(), `anypick-dnssec-doc-${process.pid}-`));
    cpSync(join(REPO_ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
    cpSync(join(REPO_ROOT, 'bgp'), join(dir, 'bgp'), { recursive: true });
    mkdirSync(join(dir, 'keys'));
  });
  after(async () => {
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the key commands make a KSK and a ZSK', () => {
    sh(block('sh keys'));
    const keys = readdirSync(join(dir, 'keys', 'example.com')).filter((f) => f.endsWith('.key'));
    expect(keys).to.have.length(2);
    const flags = keys.map((f) => readFileSync(join(dir, 'keys', 'example.com', f), 'utf8').match(/DNSKEY (\d+) /)?.[1]).sort();
    expect(flags).to.deep.equal(['256', '257']);
  });

  it('the settings file shows the defaults, and is the one served', () => {
    const text = block('dnssec zones/example.com.dnssec');
    const file = join(dir, 'zones', 'example.com.dnssec');
    const s = parseDnssecSettings(text, file);
    expect({ validity: s.validity, refresh: s.refresh, inceptionOffset: s.inceptionOffset }).to.deep.equal(DEFAULT_SETTINGS);
    expect(s.keysDir).to.equal(join(dir, 'keys', 'example.com'));
    writeFileSync(file, text);
  });

  it('check shows the signed zone, both keys active, and the DS', () => {
    const out = sh(block('sh check'));
    expect(out).to.match(/^example\.com: signed online with 2 keys from /m);
    expect(out).to.match(/^ {2}KSK \d+ ECDSAP256SHA256: published, active$/m);
    expect(out).to.match(/^ {2}ZSK \d+ ECDSAP256SHA256: published, active$/m);
    expect(out).to.match(/^ {2}example\.com\. IN DS \d+ 13 2 [0-9A-F]{64}$/m);
  });

  it('kdig shows the RRSIGs (the GSLB answer for an ECS network too); delv validates a static name, the GSLB name and a denial', async () => {
    const srv = await serveWithPorts(['zones', 'bgp', '--geoip-db', join(REPO_ROOT, 'geo-data', 'sample.mmdb')].map((a) => (a === 'zones' || a === 'bgp' ? join(dir, a) : a)));
    proc = srv.proc;
    port = srv.dns;
    const text = block('sh verify');
    const out = sh(`${text.replace(/^(delv .*)$/gm, '$1 2>&1')}`, { SERVER: '127.0.0.1', PORT: String(port) });
    expect(out).to.match(/www\.example\.com\.\s+\d+\s+IN\s+RRSIG\s+AAAA 13 3 300 /);
    expect(out.match(/^; fully validated$/gm) ?? [], out).to.have.length(2);
    expect(out, out).to.match(/^; negative response, fully validated$/m);
    // kdig +subnet: the answer for a client in Europe (datacenter-2), signed.
    expect(out).to.match(/example\.com\.\s+\d+\s+IN\s+AAAA\s+2001:db8:478:2800::/);
    expect(out).to.match(/example\.com\.\s+\d+\s+IN\s+RRSIG\s+AAAA 13 2 90 /);
  });

  it('the ZSK rollover commands publish a new ZSK to sign in an hour and retire the old one then', () => {
    const out = sh(block('sh zsk-rollover'));
    expect(out).to.match(/^ {2}ZSK \d+ ECDSAP256SHA256: published, not signing; next: active at \S+Z$/m);
    expect(out).to.match(/^ {2}ZSK \d+ ECDSAP256SHA256: published, active; next: retired at \S+Z$/m);
  });

  it('the KSK rollover commands print the new DS, then swap the KSK', () => {
    const before = sh('grep -l "DNSKEY 257" keys/example.com/*.key').trim();
    const out = sh(block('sh ksk-rollover'));
    expect(out).to.match(/^example\.com\. IN DS \d+ 13 2 [0-9A-F]{64}$/m);
    const after = sh('grep -l "DNSKEY 257" keys/example.com/*.key').trim().split('\n');
    expect(after).to.have.length(2);
    expect(after).to.include(before);
    // The old KSK is removed now; the new one publishes and signs.
    expect(out.match(/^ {2}KSK \d+ ECDSAP256SHA256: published, active$/gm) ?? []).to.have.length(1);
    expect(out).to.match(/^ {2}KSK \d+ ECDSAP256SHA256: removed$/m);
  });
});
