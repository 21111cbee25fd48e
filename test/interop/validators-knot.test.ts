/**
 * Proves the validators harness (test/support/validators.ts) on a signer that is known good:
 * Knot DNS signs two zones with keys made by dnssec-keygen (imported with keymgr), one by
 * automatic signing, one by mod-onlinesign (signed per answer, white-lie NSEC); Unbound (stubbed
 * to Knot, DS as trust anchor) and delv (straight at Knot) validate them, and a tampered
 * anchor makes both fail.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { VALIDATOR_TOOLS, delv, dig, makeKey, makeKeys, setTiming, startUnbound, tamper } from '../support/validators';
import type { KeySet, Unbound } from '../support/validators';
import { KEYMGR, KNOTD, startKnotSigned } from './support/knot';
import type { KnotServer } from './support/knot';

const zoneText = (origin: string): string =>
  [
    `$ORIGIN ${origin}.`,
    '$TTL 30',
    '@ IN SOA ns1 hostmaster 1 7200 1800 1209600 30',
    '  IN NS ns1',
    'ns1 IN A 192.0.2.53',
    'www IN A 192.0.2.1',
    '*.wild IN TXT "wildcard"',
    'alias IN CNAME www',
    '',
  ].join('\n');

describe('validators harness on Knot (dnssec-keygen keys, Unbound, delv)', function () {
  this.timeout(120_000);
  const AUTO = 'auto.knot.test';
  const ONLINE = 'online.knot.test';
  let dir: string;
  let autoKeys: KeySet;
  let onlineKeys: KeySet;
  let knot: KnotServer | undefined;
  let unbound: Unbound | undefined;

  before(async function () {
    requireTools(this, ...VALIDATOR_TOOLS, KNOTD, KEYMGR);
    dir = mkdtempSync(join(tmpdir(), `anypick-vk-${process.pid}-`));
    autoKeys = makeKeys(AUTO, { alg: 13, ttl: 30 });
    onlineKeys = makeKeys(ONLINE, { alg: 15, ttl: 30 });
    for (const z of [AUTO, ONLINE]) writeFileSync(join(dir, `${z}.zone`), zoneText(z));
    knot = await startKnotSigned([
      { origin: AUTO, file: join(dir, `${AUTO}.zone`), keyFiles: autoKeys.keys.map((k) => k.keyFile), signing: 'auto', ttl: 30 },
      { origin: ONLINE, file: join(dir, `${ONLINE}.zone`), keyFiles: onlineKeys.keys.map((k) => k.keyFile), signing: 'online', ttl: 30 },
    ]);
    unbound = await startUnbound({
      stubs: [
        { zone: AUTO, port: knot.port },
        { zone: ONLINE, port: knot.port },
      ],
      anchors: [...autoKeys.anchors(), ...onlineKeys.anchors()],
    });
  });
  after(async () => {
    await unbound?.stop();
    await knot?.stop();
    autoKeys?.remove();
    onlineKeys?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dnssec-keygen keys: roles, algorithms, tags, DS by dnssec-dsfromkey, timing metadata', () => {
    expect(autoKeys.ksk.flags).to.equal(257);
    expect(autoKeys.zsk.flags).to.equal(256);
    expect(onlineKeys.ksk.alg).to.equal(15);
    expect(autoKeys.ksk.keyFile).to.match(new RegExp(`/K${AUTO}\\.\\+013\\+\\d{5}\\.key$`));
    expect(autoKeys.ksk.ds).to.match(new RegExp(`^${AUTO.replace(/\./g, '\\.')}\\. IN DS ${autoKeys.ksk.tag} 13 2 [0-9A-F]{64}$`));
    expect(autoKeys.anchors()).to.deep.equal([autoKeys.ksk.ds]);
    const csk = makeKeys('csk.knot.test', { csk: true, alg: 15 });
    try {
      expect(csk.keys).to.have.length(1);
      expect(csk.ksk).to.equal(csk.zsk);
      expect(csk.ksk.flags).to.equal(257);
      const later = makeKey(csk.dir, 'csk.knot.test', { role: 'zsk', timing: { publish: 'now', activate: '+1d', inactive: new Date(Date.UTC(2030, 0, 1)) } });
      expect(later.timing.Inactive).to.equal('20300101000000');
      expect(Number(later.timing.Activate) - Number(later.timing.Publish)).to.be.greaterThan(0);
      const moved = setTiming(later, { delete: '20300201000000' });
      expect(moved.timing.Delete).to.equal('20300201000000');
      expect(csk.reload()).to.have.length(2);
    } finally {
      csk.remove();
    }
  });

  for (const [label, zone] of [
    ['automatic signing', AUTO],
    ['online signing (mod-onlinesign)', ONLINE],
  ] as const) {
    it(`Unbound validates Knot's ${label}: AD on a positive answer, a wildcard, a CNAME, NXDOMAIN and NODATA`, async () => {
      const a = await unbound!.query(`www.${zone}`, 'A');
      expect(a.rcode, a.raw).to.equal('NOERROR');
      expect(a.ad, a.raw).to.equal(true);
      expect(a.answer.filter((r) => r.type === 'A').map((r) => r.data)).to.deep.equal(['192.0.2.1']);
      expect(a.answer.some((r) => r.type === 'RRSIG'), 'RRSIG passed on with DO').to.equal(true);
      const w = await unbound!.query(`x.wild.${zone}`, 'TXT');
      expect([w.rcode, w.ad], w.raw).to.deep.equal(['NOERROR', true]);
      const c = await unbound!.query(`alias.${zone}`, 'A');
      expect([c.rcode, c.ad, c.answer.map((r) => r.type).filter((t) => t !== 'RRSIG')], c.raw).to.deep.equal(['NOERROR', true, ['CNAME', 'A']]);
      const nx = await unbound!.query(`nx.${zone}`, 'A');
      // Online white lies answer NXDOMAIN as a covering NSEC; either rcode is a validated denial.
      expect(nx.ad, nx.raw).to.equal(true);
      expect(nx.answer, nx.raw).to.deep.equal([]);
      const nodata = await unbound!.query(`www.${zone}`, 'AAAA');
      expect([nodata.rcode, nodata.ad, nodata.answer], nodata.raw).to.deep.equal(['NOERROR', true, []]);
    });

    it(`delv reports "fully validated" for Knot's ${label}`, async () => {
      const pos = await delv('127.0.0.1', knot!.port, zone, zone === AUTO ? autoKeys.anchors() : onlineKeys.anchors(), `www.${zone}`, 'A');
      expect(pos.validated, pos.raw).to.equal(true);
      expect(pos.status).to.equal('fully validated');
      expect(pos.answer.map((r) => r.type)).to.deep.equal(['A', 'RRSIG']);
      const neg = await delv('127.0.0.1', knot!.port, zone, zone === AUTO ? autoKeys.anchors() : onlineKeys.anchors(), `www.${zone}`, 'AAAA');
      expect([neg.validated, neg.negative, neg.failure], neg.raw).to.deep.equal([true, true, undefined]);
    });
  }

  it('Unbound asks nothing outside its stubs: other names are refused', async () => {
    const r = await unbound!.query('example.com', 'A');
    expect(r.rcode).to.equal('REFUSED');
    expect(unbound!.config).to.include('do-not-query-address: 128.0.0.0/1');
  });

  it('a tampered trust anchor fails validation: delv reports a broken chain, Unbound SERVFAIL (the data is there with CD)', async () => {
    const bad = autoKeys.anchors().map(tamper);
    expect(bad[0]).to.not.equal(autoKeys.anchors()[0]);
    const d = await delv('127.0.0.1', knot!.port, AUTO, bad, `www.${AUTO}`, 'A');
    expect(d.validated, d.raw).to.equal(false);
    expect(d.failure, d.raw).to.match(/broken trust chain|no valid/);
    // The parent's DS set changes (here: to a wrong one): Unbound restarts with the new anchors.
    await unbound!.restart([...bad, ...onlineKeys.anchors()]);
    const r = await unbound!.query(`www.${AUTO}`, 'A');
    expect([r.rcode, r.ad], r.raw).to.deep.equal(['SERVFAIL', false]);
    expect(unbound!.log()).to.match(/validation failure <www\.auto\.knot\.test\. A IN>/);
    const cd = await unbound!.query(`www.${AUTO}`, 'A', { cd: true });
    expect([cd.rcode, cd.ad, cd.answer.filter((x) => x.type === 'A').length], cd.raw).to.deep.equal(['NOERROR', false, 1]);
    // The other zone, whose anchor is intact, still validates.
    const ok = await unbound!.query(`www.${ONLINE}`, 'A');
    expect([ok.rcode, ok.ad], ok.raw).to.deep.equal(['NOERROR', true]);
    // And a plain dig at Knot sees the same signed data the validators judged.
    const direct = await dig('127.0.0.1', knot!.port, `www.${AUTO}`, 'A', { rd: false });
    expect(direct.aa).to.equal(true);
    expect(direct.answer.find((x) => x.type === 'RRSIG')?.data).to.match(new RegExp(`^A 13 4 30 \\d{14} \\d{14} ${autoKeys.zsk.tag} ${AUTO}\\. `));
  });
});
