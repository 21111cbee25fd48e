/**
 * Key trouble is a clear error: `anypick check` names the settings line and the key file; a
 * serve whose reload meets a bad key keeps serving the last good, signed, data. And a signed
 * answer that does not fit the client's UDP size is truncated and complete over TCP.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';
import { REPO_ROOT } from '../support/seed';
import { requireTools } from '../support/tools';
import { dig, makeKey, makeKeys, setTiming } from '../support/validators';
import type { KeySet } from '../support/validators';

describe('dnssec: check, reload and sizes with a signed zone', function () {
  this.timeout(60_000);
  let dir: string;
  let keys: KeySet;
  let proc: AnypickProcess | undefined;
  let port: number;

  before(async function () {
    requireTools(this, 'dnssec-keygen', 'dnssec-dsfromkey', 'dnssec-settime', 'dig');
    dir = mkdtempSync(join(tmpdir(), `anypick-signchk-${process.pid}-`));
    cpSync(join(REPO_ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
    mkdirSync(join(dir, 'keys'));
    keys = makeKeys('example.com', { alg: 13, dir: join(dir, 'keys') });
    writeFileSync(join(dir, 'zones', 'example.com.dnssec'), 'keys: ../keys\n');
    // Enough TXT at one name that the signed RRset passes 512 octets.
    writeFileSync(join(dir, 'zones', 'example.com.inc'), Array.from({ length: 12 }, (_, i) => `big TXT "${'x'.repeat(40)}${i}"`).join('\n') + '\n', { flag: 'a' });
    const srv = await serveWithPorts([join(dir, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', 'none']);
    proc = srv.proc;
    port = srv.dns;
  });
  after(async () => {
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const check = (): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, [MAIN, 'check', join(dir, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', 'none'], { encoding: 'utf8', timeout: 15_000 });

  it('check reports the signed zone, its keys and the DS for the parent', () => {
    const r = check();
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`example.com: signed online with 2 keys from ${join(dir, 'keys')}`);
    expect(r.stdout).to.include(`  KSK ${keys.ksk.tag} ECDSAP256SHA256: published, active\n`);
    expect(r.stdout).to.include(`  ZSK ${keys.zsk.tag} ECDSAP256SHA256: published, active\n`);
    expect(r.stdout).to.include(`  ${keys.ksk.ds}\n`);
  });

  it('explain says the GSLB name is signed, with which keys', () => {
    const r = spawnSync(process.execPath, [MAIN, 'explain', 'example.com', '--client', '10.2.0.0/24', join(dir, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', 'none'], { encoding: 'utf8', timeout: 15_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^dnssec: zone example\\.com is signed online; answers to DO=1 queries carry RRSIGs \\(.*KSK ${keys.ksk.tag} ECDSAP256SHA256: published, active.*\\)$`, 'm'));
    const j = spawnSync(process.execPath, [MAIN, 'explain', 'example.com', '--client', '10.2.0.0/24', '--json', join(dir, 'zones'), join(REPO_ROOT, 'bgp'), '--geoip-db', 'none'], { encoding: 'utf8', timeout: 15_000 });
    expect((JSON.parse(j.stdout) as { dnssec: { zone: string; keys: string[] } }).dnssec.zone).to.equal('example.com');
  });

  it('a truncated signed answer over UDP is complete over TCP', async () => {
    const udp = await dig('127.0.0.1', port, 'big.example.com', 'TXT', { rd: false, tries: 1 });
    // dig retries over TCP on TC=1 unless told not to; the result is the whole signed RRset.
    expect(udp.answer.filter((r) => r.type === 'TXT')).to.have.length(12);
    expect(udp.answer.filter((r) => r.type === 'RRSIG')).to.have.length(1);
    const r = spawnSync('dig', ['@127.0.0.1', '-p', String(port), '+dnssec', '+bufsize=512', '+ignore', '+norec', 'big.example.com', 'TXT'], { encoding: 'utf8' });
    expect(r.stdout).to.match(/flags: qr aa tc;/);
    const unsigned = spawnSync('dig', ['@127.0.0.1', '-p', String(port), '+bufsize=1232', '+ignore', '+norec', 'www.example.com', 'AAAA'], { encoding: 'utf8' });
    expect(unsigned.stdout).to.not.match(/RRSIG/);
  });

  it('a KSK given a SyncPublish time gets its CDS and CDNSKEY published, signed by the KSK (RFC 7344)', async () => {
    const none = await dig('127.0.0.1', port, 'example.com', 'CDS', { rd: false });
    expect(none.answer).to.deep.equal([]);
    setTiming(keys.ksk, { syncPublish: 'now' });
    proc!.child.kill('SIGHUP');
    const reloads = proc!.logs.filter((l) => l.msg === 'reloaded').length;
    await proc!.waitFor(() => proc!.logs.filter((l) => l.msg === 'reloaded').length > reloads);
    const cds = await dig('127.0.0.1', port, 'example.com', 'CDS', { rd: false });
    expect(cds.answer.filter((r) => r.type === 'CDS').map((r) => r.data)).to.deep.equal([keys.ksk.ds.split(/\s+/).slice(3).join(' ')]);
    expect(cds.answer.find((r) => r.type === 'RRSIG')?.data).to.match(new RegExp(`^CDS 13 2 \\d+ \\d{14} \\d{14} ${keys.ksk.tag} example\\.com\\. `));
    const cdnskey = await dig('127.0.0.1', port, 'example.com', 'CDNSKEY', { rd: false });
    expect(cdnskey.answer.filter((r) => r.type === 'CDNSKEY').map((r) => r.data.split(' ').slice(0, 3).join(' '))).to.deep.equal(['257 3 13']);
  });

  it('a .private that does not match its .key: check fails at the keys line; a SIGHUP reload keeps the last good, signed data', async () => {
    const other = makeKey(mkdtempSync(join(tmpdir(), 'anypick-other-')), 'example.com', { role: 'zsk' });
    copyFileSync(other.privateFile, keys.zsk.privateFile);
    rmSync(other.dir, { recursive: true, force: true });
    const r = check();
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`${join(dir, 'zones', 'example.com.dnssec')}:1:7: ${keys.zsk.privateFile}: the private key does not match the public key of its .key file`);
    proc!.child.kill('SIGHUP');
    await proc!.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('reload rejected: ') && l.msg.includes('does not match'));
    const a = await dig('127.0.0.1', port, 'www.example.com', 'AAAA', { rd: false });
    expect(a.answer.map((x) => x.type)).to.deep.equal(['AAAA', 'RRSIG']);
    expect(a.answer[1]!.data).to.include(` ${keys.zsk.tag} example.com. `);
  });
});
