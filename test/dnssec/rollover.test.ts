/**
 * Key rollovers (RFC 7583) on a running serve, watched by a validating Unbound that is never
 * restarted nor flushed: a ZSK pre-publish rollover driven by the new key's and the old key's
 * timing metadata, then a KSK double-DS rollover where the parent (a signed zone served by the
 * same node, Unbound's trust anchor) takes the new DS first. Every query through both rollovers
 * must validate (AD). TTLs are 2 s so each step's caches turn over in a few seconds: the waits
 * are three TTLs (what RFC 7583's timelines ask for: the old data must have left every cache).
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/seed';
import { serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { requireTools } from '../support/tools';
import { VALIDATOR_TOOLS, dig, makeKey, makeKeys, setTiming, startUnbound } from '../support/validators';
import type { DnssecKey, KeySet, Unbound } from '../support/validators';

const TTL = 2;
/** RFC 7583's waits: the longest TTL involved, with margin for the propagation and a query in flight. */
const SETTLE_MS = 3 * TTL * 1000;
const PARENT = 'rollover.test';
const CHILD = `child.${PARENT}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function zoneText(origin: string, extra: string[] = []): string {
  return [`$ORIGIN ${origin}.`, `$TTL ${TTL}`, `@ SOA ns1 hostmaster 1 2h 30m 2w ${TTL}`, '  NS ns1', 'ns1 A 192.0.2.53', 'www A 192.0.2.1', ...extra, ''].join('\n');
}

describe('dnssec: ZSK pre-publish and KSK double-DS rollovers under a running validating Unbound', function () {
  this.timeout(120_000);
  let dir: string;
  let parentKeys: KeySet;
  let childKeys: KeySet;
  let proc: AnypickProcess | undefined;
  let unbound: Unbound | undefined;
  let port: number;
  const results: Array<{ step: string; ok: boolean; raw: string }> = [];
  let step = 'start';
  let polling = false;
  let poller: Promise<void> | undefined;

  const writeParent = (ds: DnssecKey[]): void =>
    writeFileSync(join(dir, 'zones', `${PARENT}.zone`), zoneText(PARENT, ['child NS ns1.child', 'ns1.child A 192.0.2.54', ...ds.map((k) => `child DS ${k.ds.split(/\s+/).slice(3).join(' ')}`)]));

  /** SIGHUP, then wait for this reload's log line. */
  const reload = async (): Promise<void> => {
    const before = proc!.logs.filter((l) => l.msg === 'reloaded').length;
    proc!.child.kill('SIGHUP');
    await proc!.waitFor(() => proc!.logs.filter((l) => l.msg === 'reloaded').length > before);
  };

  before(async function () {
    requireTools(this, ...VALIDATOR_TOOLS);
    dir = mkdtempSync(join(tmpdir(), `anypick-roll-${process.pid}-`));
    for (const d of ['zones', 'parent-keys', 'child-keys', 'staging']) mkdirSync(join(dir, d));
    parentKeys = makeKeys(PARENT, { alg: 13, csk: true, ttl: TTL, dir: join(dir, 'parent-keys') });
    childKeys = makeKeys(CHILD, { alg: 13, ttl: TTL, dir: join(dir, 'child-keys') });
    writeParent([childKeys.ksk]);
    writeFileSync(join(dir, 'zones', `${CHILD}.zone`), zoneText(CHILD));
    writeFileSync(join(dir, 'zones', `${PARENT}.dnssec`), 'keys: ../parent-keys\n');
    writeFileSync(join(dir, 'zones', `${CHILD}.dnssec`), 'keys: ../child-keys\n');
    const srv = await serveWithPorts([join(dir, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', 'none']);
    proc = srv.proc;
    port = srv.dns;
    unbound = await startUnbound({ stubs: [PARENT, CHILD].map((zone) => ({ zone, port: srv.dns })), anchors: parentKeys.anchors() });
    // A validating client asking all the time, through every step.
    polling = true;
    poller = (async () => {
      while (polling) {
        const r = await unbound!.query(`www.${CHILD}`, 'A');
        results.push({ step, ok: r.rcode === 'NOERROR' && r.ad, raw: r.raw });
        await sleep(200);
      }
    })();
  });
  after(async () => {
    polling = false;
    await poller;
    await unbound?.stop();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const failures = (): string[] => results.filter((r) => !r.ok).map((r) => `${r.step}:\n${r.raw}`);
  const signer = async (type: string): Promise<number[]> => {
    const r = await unbound!.query(type === 'DNSKEY' ? CHILD : `www.${CHILD}`, type);
    return r.answer.filter((x) => x.type === 'RRSIG').map((x) => Number(x.data.split(/\s+/)[6]));
  };

  it('starts validated: the child signed by its first ZSK, the chain from the parent DS', async () => {
    await sleep(1000);
    expect(failures()).to.deep.equal([]);
    expect(await signer('A')).to.deep.equal([childKeys.zsk.tag]);
  });

  it('ZSK pre-publish: the new key is published, then signs, then the old one is removed — no validation failure', async () => {
    const oldZsk = childKeys.zsk;
    // New key file: published now, active after the DNSKEY set has been re-fetched everywhere.
    const activate = new Date(Date.now() + SETTLE_MS + 1000);
    const retire = new Date(activate.getTime() + SETTLE_MS);
    step = 'zsk: new key published';
    const newZsk = makeKey(childKeys.dir, CHILD, { role: 'zsk', ttl: TTL, timing: { publish: 'now', activate } });
    // The old key stops signing when the new one starts, and leaves the DNSKEY set once its signatures have expired from caches.
    setTiming(oldZsk, { inactive: activate, delete: retire });
    await reload();
    // Served at once (validators see it as their cached DNSKEY set expires).
    expect((await dig('127.0.0.1', port, CHILD, 'DNSKEY', { rd: false })).answer.filter((x) => x.type === 'DNSKEY')).to.have.length(3);
    while (Date.now() < activate.getTime() + 1500) await sleep(250);
    step = 'zsk: new key signing';
    expect(await signer('A')).to.deep.equal([newZsk.tag]);
    while (Date.now() < retire.getTime() + SETTLE_MS) await sleep(250);
    step = 'zsk: old key removed';
    expect((await unbound!.query(CHILD, 'DNSKEY')).answer.filter((x) => x.type === 'DNSKEY').map((x) => x.data.split(' ')[0])).to.have.members(['256', '257']);
    expect(failures()).to.deep.equal([]);
  });

  it('KSK double-DS: the parent takes the new DS, the child swaps KSKs, the parent drops the old DS — no validation failure', async () => {
    const oldKsk = childKeys.ksk;
    // The new KSK is made aside: its DS goes to the parent before the child publishes it.
    const newKsk = makeKey(join(dir, 'staging'), CHILD, { role: 'ksk', ttl: TTL });
    step = 'ksk: parent has both DS';
    writeParent([oldKsk, newKsk]);
    await reload();
    await sleep(SETTLE_MS);
    step = 'ksk: child swapped to the new KSK';
    for (const f of readdirSync(join(dir, 'staging'))) renameSync(join(dir, 'staging', f), join(childKeys.dir, f));
    setTiming(oldKsk, { inactive: 'now', delete: 'now' });
    await reload();
    await sleep(SETTLE_MS);
    expect(await signer('DNSKEY')).to.deep.equal([newKsk.tag]);
    step = 'ksk: parent has the new DS only';
    writeParent([newKsk]);
    await reload();
    await sleep(SETTLE_MS);
    expect(failures()).to.deep.equal([]);
    expect(results.length, 'the validating client kept asking').to.be.greaterThan(40);
    const steps = new Set(results.map((r) => r.step));
    expect([...steps]).to.include.members(['zsk: new key published', 'zsk: new key signing', 'ksk: parent has both DS', 'ksk: child swapped to the new KSK', 'ksk: parent has the new DS only']);
  });
});
