import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { SEED_DIR } from '../support/seed';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function check(args: string[], cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'check', ...args], { cwd, encoding: 'utf8', timeout: 15000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: anypick check', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'anypick-check-'));
    writeFileSync(join(dir, 'bad.delivery'), 'service s:\n  lisen "https://example.com"\n  next-hop-members:\n    c-1 10 dyn 2001:db8::/129\nprocess p:\n  routes neighbor 192.0.2.1\n    local-asn 0;\n    peer-asn 1;\n');
    writeFileSync(join(dir, 'other.delivery'), 'service o:\n  listen "https://other.test"\n  next-hop-members:\n    d 1 dyn "other.test AAAA IN 60 2001:db8::1/64"\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validates the repository zones and bgp by default (exit 0)', () => {
    const r = check([]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^ok: \d+ files, \d+ zones, 1 delivery, 5 services, 2 processes\n$/);
  });

  it('prints one file:line:col line per error and exits 1', () => {
    const f = join(dir, 'bad.delivery');
    const r = check([f]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr.trimEnd().split('\n')).to.deep.equal([
      `${f}:2:3: unknown keyword 'lisen' in 'service' (expected one of: listen, admit, next-hop, next-hop-strategy, next-hop-members)`,
      `${f}:4:26: bad prefix length '/129' (IPv6: 0..128)`,
      `${f}:7:15: AS number 0 out of range 1..4294967295`,
    ]);
  });

  it('prints warnings on stderr and still exits 0', () => {
    const f = join(dir, 'other.delivery');
    const r = check([join(ROOT, 'zones', 'example.com.zone'), f]);
    expect(r.code).to.equal(0);
    expect(r.stderr.trimEnd().split('\n')).to.deep.equal([
      `${f}:2:10: warning: no loaded zone serves 'other.test' (listen host of service 'o')`,
      `${f}:4:13: warning: no loaded zone serves record owner 'other.test'`,
    ]);
  });

  it('passes on zone warnings (an RRset with two TTLs) with their position', () => {
    const z = join(dir, 'w.test.zone');
    writeFileSync(z, '$ORIGIN w.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nx A 192.0.2.2\nx 120 A 192.0.2.3\n');
    const r = check([z]);
    expect(r.code).to.equal(0);
    expect(r.stderr.trimEnd()).to.equal(`${z}:7:1: warning: TTL 120 differs from the TTL 60 of its A RRset (first at ${z}:6:1); using 60 (RFC 2181 §5.2)`);
  });

  it('checks the seed examples as a whole: exit 0, every reference resolved in --json', function () {
    const seed = SEED_DIR;
    const r = check([seed]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const doc = JSON.parse(check(['--json', seed]).stdout);
    const refs: Array<{ ref: string; resolved: unknown }> = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.ref === 'string') refs.push(o as { ref: string; resolved: unknown });
        Object.values(o).forEach(walk);
      }
    };
    walk(doc.model);
    const texts = refs.map((x) => x.ref);
    for (const t of ['control.my-uri', 'list.my-service', 'membership.my-service.datacenter', 'membership.my-service.cluster', 'dynamic-weight.my-service', 'membership.service-with-gpu', 'announce-routes.dns', 'infra.application.anycast-dns']) {
      expect(texts, t).to.include(t);
    }
    for (const x of refs) expect(x.resolved, x.ref).to.not.equal(undefined);
  });

  it('--json prints the resolved model and zone summaries', () => {
    const r = check(['--json', 'zones', 'bgp']);
    expect(r.code).to.equal(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).to.equal(true);
    expect(doc.errors).to.deep.equal([]);
    const zone = doc.zones.find((z: { origin: string }) => z.origin === 'example.com');
    expect(zone.records).to.be.greaterThan(5);
    expect(zone.byType.SOA).to.equal(1);
    const api = doc.model.services.find((s: { name: string }) => s.name === 'api');
    expect(api.admit).to.deep.include({ ref: 'control.api-uri', resolved: { kind: 'control', name: 'api-uri', at: 'zones/api.delivery:4:9', uri: 'https://example.com/api/*', schema: 'example.com/api/openapi-v3.schema.json' } });
    const d = doc.model.deliveries[0];
    expect(d.anycastDns.resolved).to.deep.include({ name: 'anycast-dns', processes: ['dns', 'announce-routes'] });
    const ar = doc.model.processes.find((p: { name: string }) => p.name === 'announce-routes');
    expect(ar.bgp.resolved).to.deep.include({ kind: 'check', check: 'dns', name: 'dns', process: 'announce-routes' });
  });

  it('--json on invalid input lists the errors and exits 1', () => {
    const r = check(['--json', join(dir, 'bad.delivery')]);
    expect(r.code).to.equal(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).to.equal(false);
    expect(doc.errors.map((e: { code: string }) => e.code)).to.deep.equal(['E_CONFIG_KEYWORD', 'E_CONFIG_VALUE', 'E_CONFIG_VALUE']);
  });

  it('a missing path is an error (exit 1), an unknown option a usage error (exit 2)', () => {
    const missing = check([join(dir, 'nope')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal(`${join(dir, 'nope')}:1:1: cannot read: ENOENT\n`);
    const usage = check(['--jsno']);
    expect(usage.code).to.equal(2);
  });
});
