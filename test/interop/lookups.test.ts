/**
 * The lookup cases of issue 12, asked with dig of a real `anypick serve` on the differential
 * zones: DNAME synthesis (RFC 6672 §3.3), CNAME and DNAME chains into a delegation (RFC 1034
 * §4.3.2 step 3b), error replies with the question and the OPT (RFC 6891 §7), Extended DNS
 * Errors (RFC 8914) and generic types answered for their own type. knot-diff.test.ts compares
 * the same cases with Knot; this file states the expected answers outright.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '../support/tools';
import { MAIN, dig, startServe } from '../dns/serve-process';
import type { ServeProcess } from '../dns/serve-process';

const run = promisify(execFile);
const ZONES = join(__dirname, '..', '..', '..', 'test', 'interop', 'zones');

/** The non-comment lines of a dig section, whitespace collapsed. */
function section(out: string, name: string): string[] {
  const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(\\n\\n|$)`).exec(out);
  return m ? (m[1] as string).split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.trim().split(/\s+/).join(' ')) : [];
}
const status = (out: string): string => /status: (\w+)/.exec(out)?.[1] ?? '';
const flags = (out: string): string[] => (/flags: ([a-z ]+);/.exec(out)?.[1] ?? '').trim().split(' ');

describe('issue 12 lookups, asked with dig', function () {
  this.timeout(60000);
  let srv: ServeProcess | undefined;

  before(async function () {
    requireTools(this, 'dig');
    srv = await startServe([ZONES]);
  });
  after(async () => {
    await srv?.stop();
  });

  it('DNAME: the DNAME, a synthesised CNAME with its TTL, then the target (RFC 6672 §3.3)', async () => {
    const out = await dig(srv!.port, '+norec', 'host.dn.diff.test', 'A');
    expect(status(out)).to.equal('NOERROR');
    expect(flags(out)).to.include('aa');
    expect(section(out, 'ANSWER')).to.deep.equal([
      'dn.diff.test. 3600 IN DNAME target.diff.test.',
      'host.dn.diff.test. 3600 IN CNAME host.target.diff.test.',
      'host.target.diff.test. 3600 IN A 192.0.2.11',
    ]);
  });

  it('DNAME: a name below it with no target is NXDOMAIN for the target, after the DNAME and CNAME', async () => {
    const out = await dig(srv!.port, '+norec', 'nothing.dn.diff.test', 'A');
    expect(status(out)).to.equal('NXDOMAIN');
    expect(section(out, 'ANSWER')).to.have.length(2);
    expect(section(out, 'AUTHORITY')[0]).to.match(/^diff\.test\. 300 IN SOA /);
  });

  it('CNAME through a DNAME, and a DNAME into a delegation ends in the referral', async () => {
    const viaCname = await dig(srv!.port, '+norec', 'to-dn.diff.test', 'TXT');
    expect(section(viaCname, 'ANSWER')).to.deep.equal([
      'to-dn.diff.test. 3600 IN CNAME host.dn.diff.test.',
      'dn.diff.test. 3600 IN DNAME target.diff.test.',
      'host.dn.diff.test. 3600 IN CNAME host.target.diff.test.',
      'host.target.diff.test. 3600 IN TXT "behind the DNAME"',
    ]);
    const intoCut = await dig(srv!.port, '+norec', 'host.dn-sub.diff.test', 'A');
    expect(section(intoCut, 'ANSWER')).to.deep.equal([
      'dn-sub.diff.test. 3600 IN DNAME sub.diff.test.',
      'host.dn-sub.diff.test. 3600 IN CNAME host.sub.diff.test.',
    ]);
    expect(section(intoCut, 'AUTHORITY').sort()).to.deep.equal(['sub.diff.test. 3600 IN NS ns.example.net.', 'sub.diff.test. 3600 IN NS ns.sub.diff.test.']);
    expect(section(intoCut, 'ADDITIONAL')).to.deep.equal(['ns.sub.diff.test. 3600 IN A 192.0.2.99']);
  });

  it('CNAME into a delegation: the CNAME, then the referral (NS and glue), RFC 1034 §4.3.2 step 3b', async () => {
    const out = await dig(srv!.port, '+norec', 'to-alias-sub.diff.test', 'A');
    expect(status(out)).to.equal('NOERROR');
    expect(section(out, 'ANSWER')).to.deep.equal(['to-alias-sub.diff.test. 3600 IN CNAME to-sub.diff.test.', 'to-sub.diff.test. 3600 IN CNAME host.sub.diff.test.']);
    expect(section(out, 'AUTHORITY').sort()).to.deep.equal(['sub.diff.test. 3600 IN NS ns.example.net.', 'sub.diff.test. 3600 IN NS ns.sub.diff.test.']);
    expect(section(out, 'ADDITIONAL')).to.deep.equal(['ns.sub.diff.test. 3600 IN A 192.0.2.99']);
  });

  it('REFUSED out of zone carries the question, the OPT and EDE 20 "Not Authoritative" (RFC 8914 §4.21)', async () => {
    const out = await dig(srv!.port, '+norec', 'www.example.org', 'A');
    expect(status(out)).to.equal('REFUSED');
    expect(out).to.match(/;; QUESTION SECTION:\n;www\.example\.org\.\s+IN\s+A/);
    expect(out).to.match(/; EDE: 20 \(Not Authoritative\)/);
    const plain = await dig(srv!.port, '+norec', '+noedns', 'www.example.org', 'A');
    expect(plain).to.not.match(/OPT PSEUDOSECTION/);
  });

  it('NOTIMP (an opcode not served) and BADVERS carry the question and the OPT', async () => {
    const notimp = await dig(srv!.port, '+norec', '+opcode=2', 'www.diff.test', 'A');
    expect(status(notimp)).to.equal('NOTIMP');
    expect(notimp).to.match(/;; QUESTION SECTION:\n;www\.diff\.test\.\s+IN\s+A/);
    expect(notimp).to.match(/; EDNS: version: 0/);
    // RFC 7871 §7.1.1: an ECS option with family 3 is malformed: FORMERR, with the OPT.
    const formerr = await dig(srv!.port, '+norec', '+ednsopt=8:00031800c00002', 'www.diff.test', 'A');
    expect(status(formerr)).to.equal('FORMERR');
    expect(formerr).to.match(/;; QUESTION SECTION:\n;www\.diff\.test\.\s+IN\s+A/);
    expect(formerr).to.match(/; EDNS: version: 0/);
    const badvers = await dig(srv!.port, '+norec', '+edns=1', '+noednsnegotiation', 'www.diff.test', 'A');
    expect(status(badvers)).to.equal('BADVERS');
    expect(badvers).to.match(/;; QUESTION SECTION:\n;www\.diff\.test\.\s+IN\s+A/);
  });

  it('generic types are answered for their own type: TYPE65280, and TYPE65 as HTTPS', async () => {
    expect(section(await dig(srv!.port, '+norec', 'gen.diff.test', 'TYPE65280'), 'ANSWER')).to.deep.equal(['gen.diff.test. 3600 IN TYPE65280 \\# 3 ABCDEF']);
    expect(section(await dig(srv!.port, '+norec', 'gen.diff.test', 'HTTPS'), 'ANSWER')).to.deep.equal(['gen.diff.test. 3600 IN HTTPS 1 .']);
    expect(section(await dig(srv!.port, '+norec', 'diff.test', 'HTTPS'), 'ANSWER')).to.deep.equal(['diff.test. 3600 IN HTTPS 1 . alpn="h2,h3" ipv4hint=192.0.2.1']);
  });
});

describe('anypick check: zone warnings with file:line:col', () => {
  it('out-of-zone data, a TTL with the top bit set and no $TTL are warnings; the zone is valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), `anypick-check-${process.pid}-`));
    try {
      const file = join(dir, 'example.com.zone');
      writeFileSync(file, '$ORIGIN example.com.\n@ 3600 SOA ns1 h 1 2 3 4 60\n NS ns1\nns1 A 192.0.2.53\nwww 4294967295 A 192.0.2.1\nx.example.net. A 192.0.2.2\n');
      const { stdout, stderr } = await run(process.execPath, [MAIN, 'check', file]);
      expect(stdout).to.match(/^ok: 1 file, 1 zone/);
      expect(stderr.split('\n').filter(Boolean)).to.deep.equal([
        `${file}:3:2: warning: no $TTL: records without a TTL take the last TTL written (3600 here), as BIND does (RFC 2308 §4)`,
        `${file}:5:5: warning: TTL 4294967295 has the top bit set: using 0 (RFC 2181 §8, as BIND)`,
        `${file}:6:1: warning: ignoring out-of-zone data: 'x.example.net' is not in zone 'example.com'`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
