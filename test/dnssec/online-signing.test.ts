/**
 * Issue 21's proof: a real `anypick serve` with the example zones signed online (dnssec-keygen
 * keys, `example.com.dnssec`), validated by Unbound (stub zones to the server, the KSK's DS as
 * trust anchor, ECS forwarded) and by delv: a static name, the GSLB name from three ECS regions
 * (three answers), a wildcard, a CNAME chain, a DNAME, NXDOMAIN, NODATA, a signed delegation
 * (secure.example.com, its DS in the parent) and an insecure one (sub.example.com, NSEC without
 * DS). A tampered trust anchor makes both validators fail.
 */
import { expect } from 'chai';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/seed';
import { serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { requireTools } from '../support/tools';
import { VALIDATOR_TOOLS, delv, dig, makeKeys, startUnbound, tamper } from '../support/validators';
import type { KeySet, Unbound } from '../support/validators';

const ZONE = 'example.com';
const SECURE = 'secure.example.com';
const INSECURE = 'sub.example.com';

/** A child zone served by the same node: apex SOA/NS, the glue's name, one host. */
const childZone = (origin: string, host: string): string =>
  [`$ORIGIN ${origin}.`, '$TTL 300', '@ SOA ns1 hostmaster 1 2h 30m 2w 5m', '  NS ns1', `ns1 A ${host}`, 'host A 192.0.2.99', ''].join('\n');

describe('dnssec: online signing validated by Unbound and delv', function () {
  this.timeout(120_000);
  let dir: string;
  let keys: KeySet;
  let childKeys: KeySet;
  let proc: AnypickProcess | undefined;
  let port: number;
  let http: number;
  let unbound: Unbound | undefined;

  before(async function () {
    requireTools(this, ...VALIDATOR_TOOLS);
    dir = mkdtempSync(join(tmpdir(), `anypick-sign-${process.pid}-`));
    cpSync(join(REPO_ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
    cpSync(join(REPO_ROOT, 'bgp'), join(dir, 'bgp'), { recursive: true });
    for (const k of [ZONE, SECURE]) mkdirSync(join(dir, 'keys', k), { recursive: true });
    keys = makeKeys(ZONE, { alg: 13, dir: join(dir, 'keys', ZONE) });
    childKeys = makeKeys(SECURE, { alg: 15, csk: true, dir: join(dir, 'keys', SECURE) });
    const z = join(dir, 'zones');
    writeFileSync(join(z, `${ZONE}.dnssec`), `# online signing of ${ZONE}\nkeys: ../keys/${ZONE}\nsignature-validity: 14d\n`);
    writeFileSync(join(z, `${SECURE}.dnssec`), `keys: ../keys/${SECURE}\n`);
    // A DNAME onto the wildcard's parent, and a signed delegation beside the insecure `sub`.
    const ds = childKeys.anchors()[0]!.split(/\s+/).slice(3).join(' ');
    appendFileSync(join(z, `${ZONE}.zone`), ['', 'dn      DNAME wild.example.com.', 'secure  NS ns1.secure', `secure  DS ${ds}`, 'ns1.secure A 192.0.2.154', ''].join('\n'));
    writeFileSync(join(z, `${SECURE}.zone`), childZone(SECURE, '192.0.2.154'));
    writeFileSync(join(z, `${INSECURE}.zone`), childZone(INSECURE, '192.0.2.153'));
    const srv = await serveWithPorts([z, join(dir, 'bgp'), '--geoip-db', join(REPO_ROOT, 'geo-data', 'sample.mmdb')]);
    proc = srv.proc;
    port = srv.dns;
    http = srv.http;
    unbound = await startUnbound({ stubs: [ZONE, SECURE, INSECURE].map((zone) => ({ zone, port })), anchors: keys.anchors(), ecs: true });
  });
  after(async () => {
    await unbound?.stop();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const validated = async (name: string, type: string, opts: { subnet?: string } = {}): Promise<Awaited<ReturnType<Unbound['query']>>> => {
    const r = await unbound!.query(name, type, opts);
    expect([r.rcode, r.ad], `${name} ${type}\n${r.raw}\n${unbound!.log()}`).to.deep.equal(['NOERROR', true]);
    return r;
  };
  const data = (r: { answer: Array<{ type: string; data: string }> }, type: string): string[] => r.answer.filter((x) => x.type === type).map((x) => x.data);

  it('serves RRSIGs only with DO, and logs the signed zones with their keys', async () => {
    const plain = await dig('127.0.0.1', port, `www.${ZONE}`, 'AAAA', { dnssec: false, rd: false });
    expect(plain.answer.map((r) => r.type)).to.deep.equal(['AAAA']);
    const signed = await dig('127.0.0.1', port, `www.${ZONE}`, 'AAAA', { rd: false });
    expect(signed.answer.map((r) => r.type)).to.deep.equal(['AAAA', 'RRSIG']);
    expect(signed.answer[1]!.data).to.match(new RegExp(`^AAAA 13 3 300 \\d{14} \\d{14} ${keys.zsk.tag} ${ZONE}\\. `));
    const serving = proc!.logs.find((l) => l.msg === 'serving') as { signed: string[] };
    const line = serving.signed.find((l) => l.startsWith(`${ZONE}: `)) ?? '';
    expect(line.slice(ZONE.length + 2).split(', ').sort()).to.deep.equal([`KSK ${keys.ksk.tag} (alg 13)`, `ZSK ${keys.zsk.tag} (alg 13)`]);
    expect(serving.signed).to.include(`${SECURE}: CSK ${childKeys.ksk.tag} (alg 15)`);
  });

  it('Unbound: AD for a static name, a wildcard, a CNAME chain, a DNAME synthesis', async () => {
    expect(data(await validated(`www.${ZONE}`, 'AAAA'), 'AAAA')).to.deep.equal(['2001:db8:ae21:7700::80']);
    expect(data(await validated(`x.wild.${ZONE}`, 'TXT'), 'TXT')).to.deep.equal(['"wildcard match"']);
    const chain = await validated(`old.${ZONE}`, 'AAAA');
    expect(chain.answer.filter((r) => r.type !== 'RRSIG').map((r) => r.type)).to.deep.equal(['CNAME', 'CNAME', 'AAAA']);
    const dname = await validated(`x.dn.${ZONE}`, 'TXT');
    expect(dname.answer.filter((r) => r.type !== 'RRSIG').map((r) => r.type)).to.deep.equal(['DNAME', 'CNAME', 'TXT']);
  });

  it('Unbound: AD for the GSLB name from three ECS regions, three different answers', async () => {
    const answers: string[] = [];
    for (const subnet of ['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24']) answers.push(...data(await validated(ZONE, 'AAAA', { subnet }), 'AAAA'));
    expect(answers).to.have.length(3);
    expect(new Set(answers).size, answers.join(' ')).to.equal(3);
    expect(answers[0]).to.match(/^2001:db8:ae21:77/);
  });

  it('Unbound: AD for NXDOMAIN (compact: NOERROR with NXNAME) and NODATA', async () => {
    const nx = await validated(`nope.${ZONE}`, 'A');
    expect(nx.answer).to.deep.equal([]);
    expect(nx.authority.find((r) => r.type === 'NSEC')?.data).to.equal('\\000.nope.example.com. RRSIG NSEC TYPE128');
    const nodata = await validated(`www.${ZONE}`, 'TXT');
    expect(nodata.answer).to.deep.equal([]);
    expect(nodata.authority.find((r) => r.type === 'NSEC')?.data).to.equal('\\000.www.example.com. A AAAA RRSIG NSEC');
  });

  it('Unbound: a signed delegation validates below the cut; an insecure one answers without AD', async () => {
    expect(data(await validated(`host.${SECURE}`, 'A'), 'A')).to.deep.equal(['192.0.2.99']);
    const ds = await validated(SECURE, 'DS');
    expect(data(ds, 'DS')).to.have.length(1);
    const insecure = await unbound!.query(`host.${INSECURE}`, 'A');
    expect([insecure.rcode, insecure.ad, data(insecure, 'A')], insecure.raw).to.deep.equal(['NOERROR', false, ['192.0.2.99']]);
    const noDs = await validated(INSECURE, 'DS');
    expect(noDs.authority.find((r) => r.type === 'NSEC')?.data).to.equal('\\000.sub.example.com. NS RRSIG NSEC');
  });

  it('delv: fully validated for each kind of answer', async () => {
    const anchors = keys.anchors();
    for (const [name, type] of [[`www.${ZONE}`, 'AAAA'], [ZONE, 'A'], [`x.y.wild.${ZONE}`, 'AAAA'], [`old.${ZONE}`, 'AAAA'], [`x.dn.${ZONE}`, 'TXT'], [ZONE, 'DNSKEY'], [`${SECURE}`, 'DS']] as const) {
      const r = await delv('127.0.0.1', port, ZONE, anchors, name, type);
      expect([r.validated, r.failure], `${name} ${type}\n${r.raw}`).to.deep.equal([true, undefined]);
    }
    for (const [name, type] of [[`nope.${ZONE}`, 'A'], [`www.${ZONE}`, 'TXT'], [INSECURE, 'DS']] as const) {
      const r = await delv('127.0.0.1', port, ZONE, anchors, name, type);
      expect([r.validated, r.negative, r.failure], `${name} ${type}\n${r.raw}`).to.deep.equal([true, true, undefined]);
    }
  });

  it('a second node with the same key files validates alike (its own signatures, the same verdicts)', async () => {
    const other = await serveWithPorts([join(dir, 'zones'), join(dir, 'bgp'), '--geoip-db', join(REPO_ROOT, 'geo-data', 'sample.mmdb')]);
    try {
      for (const [name, type] of [[`www.${ZONE}`, 'AAAA'], [ZONE, 'AAAA'], [`nope.${ZONE}`, 'A']] as const) {
        const [a, b] = await Promise.all([delv('127.0.0.1', port, ZONE, keys.anchors(), name, type), delv('127.0.0.1', other.dns, ZONE, keys.anchors(), name, type)]);
        expect([a.validated, a.status], a.raw).to.deep.equal([b.validated, b.status]);
        expect(b.validated, b.raw).to.equal(true);
      }
      const [x, y] = await Promise.all([dig('127.0.0.1', port, `www.${ZONE}`, 'AAAA', { rd: false }), dig('127.0.0.1', other.dns, `www.${ZONE}`, 'AAAA', { rd: false })]);
      const sig = (r: typeof x): string => r.answer.find((z) => z.type === 'RRSIG')!.data;
      // ECDSA signatures are randomised: each node's own, both made by the same ZSK.
      expect(sig(x).split(' ').slice(0, 7)[6]).to.equal(sig(y).split(' ').slice(0, 7)[6]);
      expect(sig(x)).to.not.equal(sig(y));
    } finally {
      await other.proc.stop();
    }
  });

  it('/metrics counts signatures by zone and algorithm, cache hits, and no signing errors', async () => {
    // The same static name again: its reply is cached (no new signature), then the GSLB name.
    for (let i = 0; i < 3; i++) await dig('127.0.0.1', port, `mail.${ZONE}`, 'A', { rd: false });
    const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    /** The value of the sample of `name` whose labels include every `labels` pair. */
    const value = (name: string, labels: Record<string, string>): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      return Number(line?.split(' ').pop() ?? NaN);
    };
    expect(value('anypick_dnssec_signatures_total', { zone: ZONE, algorithm: 'ECDSAP256SHA256' }), text).to.be.greaterThan(5);
    expect(value('anypick_dnssec_signatures_total', { zone: SECURE, algorithm: 'ED25519' }), text).to.be.greaterThan(0);
    expect(value('anypick_dnssec_signature_cache_hits_total', { zone: ZONE }), text).to.be.greaterThan(0);
    expect(value('anypick_dnssec_signing_errors_total', { zone: ZONE }), text).to.equal(0);
  });

  it('a tampered trust anchor fails: delv reports a broken chain, Unbound SERVFAIL', async () => {
    const bad = keys.anchors().map(tamper);
    const d = await delv('127.0.0.1', port, ZONE, bad, `www.${ZONE}`, 'AAAA');
    expect(d.validated, d.raw).to.equal(false);
    expect(d.failure, d.raw).to.match(/broken trust chain|no valid/);
    await unbound!.restart(bad);
    const r = await unbound!.query(`www.${ZONE}`, 'AAAA');
    expect([r.rcode, r.ad], r.raw).to.deep.equal(['SERVFAIL', false]);
    await unbound!.restart(keys.anchors());
    await validated(`www.${ZONE}`, 'AAAA');
  });
});
