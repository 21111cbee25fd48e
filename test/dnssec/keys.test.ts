/**
 * src/dnssec: key files written by dnssec-keygen (tags, DS as dnssec-dsfromkey computes it,
 * signatures a verifier accepts, timing), the settings file's grammar and errors, and the
 * signer's cache with an injected clock.
 */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError, dsRdata, keyState, keyTag, readKeyDir } from '../../src/dnssec/keys';
import type { ZoneKey } from '../../src/dnssec/keys';
import { parseDnssecSettings } from '../../src/dnssec/settings';
import { ZoneSigner, labelCount } from '../../src/dnssec/signer';
import { dsLines, keyLines } from '../../src/dnssec/report';
import { nameToWire } from '../../src/rrtype/wire';
import { requireTools } from '../support/tools';
import { makeKey, makeKeys, setTiming, tamper } from '../support/validators';
import type { KeySet } from '../support/validators';
import { SourceError } from '../../src/util/source-error';

/** node:crypto public key of DNSKEY RDATA (for verifying what the signer made). */
function publicKey(k: ZoneKey): ReturnType<typeof createPublicKey> {
  const pub = k.dnskey.subarray(4);
  const jwk = k.algorithm === 13 ? { kty: 'EC', crv: 'P-256', x: pub.subarray(0, 32).toString('base64url'), y: pub.subarray(32).toString('base64url') } : { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') };
  return createPublicKey({ key: jwk, format: 'jwk' });
}

describe('dnssec keys: BIND key files', function () {
  this.timeout(30_000);
  let set13: KeySet;
  let set15: KeySet;
  before(function () {
    requireTools(this, 'dnssec-keygen', 'dnssec-dsfromkey', 'dnssec-settime');
    set13 = makeKeys('example.test', { alg: 13 });
    set15 = makeKeys('ed.example.test', { alg: 15, csk: true });
  });
  after(() => {
    set13?.remove();
    set15?.remove();
  });

  it('reads ECDSAP256SHA256 and ED25519 pairs: flags, tags as in the file names, DS as dnssec-dsfromkey', () => {
    const keys = readKeyDir(set13.dir, 'example.test');
    expect(keys.map((k) => [k.flags, k.tag]).sort()).to.deep.equal([[256, set13.zsk.tag], [257, set13.ksk.tag]].sort());
    for (const k of keys) expect(keyTag(k.dnskey)).to.equal(k.tag);
    const ksk = keys.find((k) => k.flags === 257)!;
    const ds = dsRdata('example.test', ksk.dnskey);
    expect(`example.test. IN DS ${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex').toUpperCase()}`).to.equal(set13.ksk.ds);
    expect(dsLines('example.test', keys, Math.floor(Date.now() / 1000))).to.deep.equal([set13.ksk.ds]);
    const [csk] = readKeyDir(set15.dir, 'ed.example.test');
    expect([csk!.algorithm, csk!.flags, csk!.tag]).to.deep.equal([15, 257, set15.ksk.tag]);
  });

  it('reads an ECDSA private key written without its leading zero octet (BIND does so for 1 key in 256)', () => {
    // A P-256 key whose private scalar starts with 0x00, written as BIND writes it: 31 octets.
    let jwk: { d?: string; x?: string; y?: string };
    do jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    while (Buffer.from(jwk.d!, 'base64url')[0] !== 0);
    const pub = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const rdata = Buffer.concat([Buffer.from([1, 0, 3, 13]), pub]);
    const tag = keyTag(rdata);
    const dir = mkdtempSync(join(tmpdir(), 'anypick-key31-'));
    try {
      const base = `Kshort.test.+013+${String(tag).padStart(5, '0')}`;
      writeFileSync(join(dir, `${base}.key`), `short.test. IN DNSKEY 256 3 13 ${pub.toString('base64')}\n`);
      writeFileSync(join(dir, `${base}.private`), `Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: ${Buffer.from(jwk.d!, 'base64url').subarray(1).toString('base64')}\n`);
      const [k] = readKeyDir(dir, 'short.test');
      const sig = k!.sign(Buffer.from('data'));
      expect(verify('sha256', Buffer.from('data'), { key: publicKey(k!), dsaEncoding: 'ieee-p1363' }, sig)).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('signs so that a verifier with the DNSKEY public key accepts (ECDSA r||s, Ed25519)', () => {
    for (const [dir, zone] of [[set13.dir, 'example.test'], [set15.dir, 'ed.example.test']] as const) {
      for (const k of readKeyDir(dir, zone)) {
        const data = Buffer.from('signed data');
        const sig = k.sign(data);
        expect(sig.length).to.equal(64);
        const ok = k.algorithm === 13 ? verify('sha256', data, { key: publicKey(k), dsaEncoding: 'ieee-p1363' }, sig) : verify(null, data, publicKey(k), sig);
        expect(ok).to.equal(true);
        expect(k.algorithm === 13 ? verify('sha256', Buffer.from('other'), { key: publicKey(k), dsaEncoding: 'ieee-p1363' }, sig) : verify(null, Buffer.from('other'), publicKey(k), sig)).to.equal(false);
      }
    }
  });

  it('rejects a .private of another key, a key of another zone, a missing directory, another algorithm', function () {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-keys-'));
    try {
      const a = makeKey(dir, 'bad.test', { role: 'zsk' });
      const b = makeKey(mkdtempSync(join(tmpdir(), 'anypick-keys2-')), 'bad.test', { role: 'zsk' });
      copyFileSync(b.privateFile, a.privateFile);
      expect(() => readKeyDir(dir, 'bad.test')).to.throw(KeyError, /does not match the public key of its \.key file/);
      rmSync(b.dir, { recursive: true, force: true });
      expect(() => readKeyDir(dir, 'other.test')).to.throw(KeyError, /no key files Kother\.test\.\+NNN\+NNNNN\.key/);
      expect(() => readKeyDir(join(dir, 'nope'), 'bad.test')).to.throw(KeyError, /cannot read the key directory/);
      const rsaDir = mkdtempSync(join(tmpdir(), 'anypick-keys3-'));
      execFileSync('dnssec-keygen', ['-q', '-K', rsaDir, '-a', 'RSASHA256', '-b', '1024', 'rsa.test']);
      expect(() => readKeyDir(rsaDir, 'rsa.test')).to.throw(KeyError, /algorithm 8 is not supported/);
      rmSync(rsaDir, { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('honours Publish/Activate/Inactive/Delete and SyncPublish (RFC 7583 states), reported by check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-keys-'));
    try {
      const later = makeKey(dir, 'time.test', { role: 'zsk', timing: { publish: 'now', activate: '+1d', inactive: '+10d', delete: '+11d' } });
      makeKey(dir, 'time.test', { role: 'ksk', timing: { publish: 'now', activate: 'now', syncPublish: 'now' } });
      // After both keys exist: their 'now' (whole seconds, when each was made) is not later than this one.
      const now = Math.ceil(Date.now() / 1000);
      const keys = readKeyDir(dir, 'time.test');
      const zsk = keys.find((k) => k.tag === later.tag)!;
      expect(keyState(zsk, now)).to.deep.equal({ published: true, active: false, sync: false });
      expect(keyState(zsk, now + 2 * 86400)).to.deep.equal({ published: true, active: true, sync: false });
      expect(keyState(zsk, now + 10.5 * 86400)).to.deep.equal({ published: true, active: false, sync: false });
      expect(keyState(zsk, now + 12 * 86400)).to.deep.equal({ published: false, active: false, sync: false });
      const ksk = keys.find((k) => k.flags === 257)!;
      expect(keyState(ksk, now).sync).to.equal(true);
      const lines = keyLines(keys, now);
      expect(lines).to.include.members([`KSK ${ksk.tag} ECDSAP256SHA256: published, active, CDS/CDNSKEY published`]);
      expect(lines.find((l) => l.startsWith(`ZSK ${zsk.tag}`))).to.match(/^ZSK \d+ ECDSAP256SHA256: published, not signing; next: active at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      setTiming(later, { delete: '20000101000000' });
      expect(keyState(readKeyDir(dir, 'time.test').find((k) => k.tag === later.tag)!, now).published).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dnssec settings file', () => {
  it('reads keys (relative to the file) and durations, with defaults', () => {
    const s = parseDnssecSettings('# signing\nkeys: keys/example.com   # BIND K-files\nsignature-validity: 2w\n', '/z/example.com.dnssec');
    expect(s).to.deep.include({ keysDir: '/z/keys/example.com', validity: 14 * 86400, refresh: 4 * 86400, inceptionOffset: 3600 });
    expect(parseDnssecSettings('keys: /k\nrefresh: 1d\ninception-offset: 30m\n', 'x.dnssec')).to.deep.include({ keysDir: '/k', refresh: 86400, inceptionOffset: 1800 });
  });

  for (const [text, message] of [
    ['keys: k\nvalidity: 3d\n', 'x.dnssec:2:1: unknown setting \'validity\' (keys, signature-validity, refresh, inception-offset)'],
    ['keys: k\nrefresh: 3 days\n', "x.dnssec:2:10: bad duration '3 days' (expected a number and a unit: 500ms, 1.5s, 2m, 1h, 14d)"],
    ['signature-validity: 14d\n', "x.dnssec:1:1: 'keys: DIR' is required"],
    ['keys: a\nkeys: b\n', 'x.dnssec:2:1: keys is set twice'],
    ['keys: k\n  what\n', "x.dnssec:2:3: expected 'setting: value'"],
    ['keys: k\nsignature-validity: 1d\nrefresh: 2d\n', 'x.dnssec:1:1: refresh (172800s) must be shorter than signature-validity (86400s)'],
  ] as const) {
    it(`rejects with file:line:col: ${message.slice(9)}`, () => {
      let err: unknown;
      try {
        parseDnssecSettings(text, 'x.dnssec');
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(SourceError);
      expect((err as SourceError).format()).to.equal(message);
    });
  }
});

describe('dnssec signer: cache, renewal, labels (injected clock)', function () {
  this.timeout(30_000);
  let set: KeySet;
  before(function () {
    requireTools(this, 'dnssec-keygen');
    set = makeKeys('cache.test', { alg: 15 });
  });
  after(() => set?.remove());

  const rrset = (addr: number[]): { owner: Buffer; type: number; ttl: number; rdatas: Buffer[] } => ({ owner: nameToWire('www.cache.test'), type: 1, ttl: 300, rdatas: addr.map((a) => Buffer.from([192, 0, 2, a])) });

  it('signs an RRset once while its signature has more than `refresh` left, then renews it', () => {
    let ms = Date.UTC(2027, 0, 1);
    const signer = new ZoneSigner('cache.test', readKeyDir(set.dir, 'cache.test'), { validity: 10 * 86400, refresh: 2 * 86400, inceptionOffset: 3600 }, () => ms);
    const first = signer.sign(rrset([1, 2]));
    expect(first).to.have.length(1);
    const sig = first[0]!;
    const now = ms / 1000;
    expect(sig.readUInt16BE(0)).to.equal(1);
    expect([sig[2], sig[3], sig.readUInt32BE(4)]).to.deep.equal([15, 3, 300]);
    expect(sig.readUInt32BE(12)).to.equal(now - 3600);
    // Expiration: validity minus a spread of at most refresh / 4, the same for the same RRset.
    expect(sig.readUInt32BE(8)).to.be.within(now + 10 * 86400 - 86400 / 2, now + 10 * 86400);
    expect(sig.readUInt16BE(16)).to.equal(set.zsk.tag);
    // The same content in another order: the cache (RFC 4034 §6.3 canonical order).
    expect(signer.sign(rrset([2, 1]))[0]).to.equal(sig);
    expect(signer.counters.cacheHits).to.equal(1);
    ms += 7 * 86400_000;
    expect(signer.sign(rrset([1, 2]))[0]).to.equal(sig);
    ms += 2 * 86400_000;
    const renewed = signer.sign(rrset([1, 2]))[0]!;
    expect(renewed).to.not.equal(sig);
    expect(renewed.readUInt32BE(12)).to.equal(ms / 1000 - 3600);
    expect(signer.counters.signatures.get(15)).to.equal(2);
  });

  it('is bounded: the least recently used RRset is dropped at the limit', () => {
    const signer = new ZoneSigner('cache.test', readKeyDir(set.dir, 'cache.test'), { validity: 86400 * 10, refresh: 86400, inceptionOffset: 0 }, () => Date.UTC(2027, 0, 1), 2);
    signer.sign(rrset([1]));
    signer.sign(rrset([2]));
    signer.sign(rrset([1]));
    signer.sign(rrset([3]));
    expect(signer.cached).to.equal(2);
    signer.sign(rrset([1]));
    expect(signer.counters.cacheHits).to.equal(2);
    signer.sign(rrset([2]));
    expect(signer.counters.signatures.get(15)).to.equal(4);
  });

  it('the DNSKEY set is signed by the KSK, everything else by the ZSK; no active key is an error, not a crash', () => {
    const keys = readKeyDir(set.dir, 'cache.test');
    const signer = new ZoneSigner('cache.test', keys, { validity: 86400 * 10, refresh: 86400, inceptionOffset: 0 }, () => Date.now());
    const sig = signer.sign({ owner: nameToWire('cache.test'), type: 48, ttl: 3600, rdatas: signer.dnskeys() })[0]!;
    expect(sig.readUInt16BE(16)).to.equal(set.ksk.tag);
    expect(sig[3]).to.equal(2);
    const past = new ZoneSigner('cache.test', keys, { validity: 86400, refresh: 3600, inceptionOffset: 0 }, () => Date.UTC(2000, 0, 1));
    expect(past.sign(rrset([1]))).to.deep.equal([]);
    expect(past.counters.errors).to.equal(1);
  });

  it('counts labels without the root and a leading wildcard (RFC 4034 §3.1.3)', () => {
    expect(labelCount(nameToWire('www.example.com'))).to.equal(3);
    expect(labelCount(nameToWire('*.wild.example.com'))).to.equal(3);
    expect(labelCount(nameToWire(''))).to.equal(0);
  });
});

describe('dnssec settings: a settings file is read relative to itself', () => {
  it('keys: given as a relative path resolves beside the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-set-'));
    try {
      writeFileSync(join(dir, 'a.dnssec'), 'keys: k\n');
      expect(parseDnssecSettings('keys: k\n', join(dir, 'a.dnssec')).keysDir).to.equal(join(dir, 'k'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validators harness: tamper', () => {
  it('changes the digest whatever its fifth character (hex compares without case)', () => {
    for (const ch of ['A', 'a', 'F', '0', 'b']) {
      const ds = `x.test. IN DS 1 13 2 0123${ch}56789ABCDEF`;
      const t = tamper(ds).split(' ').pop()!;
      expect(t.toLowerCase()).to.not.equal(ds.split(' ').pop()!.toLowerCase());
    }
  });
});
