import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { loadZoneFile, parseZone } from '../../src/zone';
import type { Zone, ZoneRecord } from '../../src/zone/types';
import { errorsOf } from './helpers';
import { requireTools } from '../support/tools';

const ZONES_DIR = join(__dirname, '..', '..', '..', 'zones');
const SHA256 = '0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6';

/** Every tricky bit of syntax at once; BIND must read it the way we do. */
const TORTURE = `$TTL 1h30m
$ORIGIN Torture.Example.
@ IN SOA ns1 john\\.doe ( 1 ; serial
    2h 30m ; refresh, retry
    2W 5M ) ; expire, minimum
  NS ns1
ns1 AAAA 2001:DB8:0:0::53
    IN 60 A 192.0.2.53
t TXT "semi;colon" "quote\\"d" "back\\\\slash" "\\065\\066\\255" unquoted\\ word
t2 60 IN TXT ( "multi" ; comment inside
  "line" )
\\119ww A 192.0.2.80
*.wild AAAA ::ffff:192.0.2.1
$ORIGIN sub.torture.example.
x 2d A 192.0.2.1
$ORIGIN torture.example.
caa CAA 0 issue "ca.example.net; account=1"
caa CAA 128 tbs ""
srv SRV 1 2 3 target
mx MX 10 @
tlsa TLSA 3 1 1 ( ${SHA256.slice(0, 30)}
  ${SHA256.slice(30)} )
ds DS 60485 13 2 ${SHA256}
sshfp SSHFP 4 2 ${SHA256.toLowerCase()}
naptr NAPTR 100 10 "S" "SIP+D2U" "!^.*$!sip:info@example.net!" _sip._udp
hinfo HINFO "Generic PC" Linux
ptr PTR Host.Example.NET.
dname DNAME other.example.
gen TYPE65280 \\# 3 abcdef
gen2 TYPE1 \\# 4 C0000202
mixed 100 A 192.0.2.2
mixed 50 A 192.0.2.3
mixed 70 A 192.0.2.2
DUP TXT "a"
dup TXT "a"
$INCLUDE torture.inc inc
after A 192.0.2.99
`;
const TORTURE_INC = `$TTL 42
@ TXT "included at inc.torture.example"
deep CNAME @
`;

/** Runs BIND's named-compilezone and returns the zone in its canonical text form. */
function bindCanonical(origin: string, file: string): string {
  return execFileSync('named-compilezone', ['-q', '-i', 'none', '-k', 'ignore', '-o', '-', origin, basename(file)], {
    cwd: dirname(file), // BIND reads $INCLUDE relative to its working directory
    encoding: 'utf8',
  });
}

const key = (r: ZoneRecord): string => JSON.stringify([r.name, r.type, r.ttl, r.data]);
const comparable = (z: Zone): string[] => z.records.map(key).sort();

describe('zone files read the way BIND reads them (named-compilezone)', function () {
  this.timeout(30000);
  let dir = '';
  before(function () {
    requireTools(this, 'named-compilezone', 'named-checkzone');
    dir = mkdtempSync(join(tmpdir(), 'anypick-bind-'));
    writeFileSync(join(dir, 'torture.example.zone'), TORTURE);
    writeFileSync(join(dir, 'torture.inc'), TORTURE_INC);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { what: 'the syntax torture zone', file: () => join(dir, 'torture.example.zone'), origin: 'torture.example', min: 25 },
    { what: 'zones/example.com.zone', file: () => join(ZONES_DIR, 'example.com.zone'), origin: 'example.com', min: 20 },
    { what: 'zones/2.0.192.in-addr.arpa.zone', file: () => join(ZONES_DIR, '2.0.192.in-addr.arpa.zone'), origin: '2.0.192.in-addr.arpa', min: 5 },
  ];
  for (const c of cases) {
    it(`${c.what}: our records equal our reading of BIND's canonical output`, () => {
      const ours = loadZoneFile(c.file());
      const bind = parseZone(bindCanonical(c.origin, c.file()), { file: 'bind-canonical', origin: c.origin });
      expect(ours.records.length).to.be.at.least(c.min);
      expect(comparable(ours)).to.deep.equal(comparable(bind));
    });
  }

  it('the torture zone parses to the expected values', () => {
    const z = loadZoneFile(join(dir, 'torture.example.zone'));
    const get = (name: string, type: string): unknown => z.records.find((r) => r.name === name && r.type === type)?.data;
    expect(get('t.torture.example', 'TXT')).to.deep.equal(
      ['semi;colon', 'quote"d', 'back\\slash', Buffer.from([65, 66, 255]), 'unquoted word'].map((s) => (Buffer.isBuffer(s) ? s : Buffer.from(s))),
    );
    expect(get('www.torture.example', 'A')).to.equal('192.0.2.80');
    expect(get('x.sub.torture.example', 'A')).to.equal('192.0.2.1');
    expect(get('deep.inc.torture.example', 'CNAME')).to.equal('inc.torture.example');
    // BIND keeps a $TTL set inside an included file in effect after it.
    expect(z.records.find((r) => r.name === 'after.torture.example')?.ttl).to.equal(42);
  });

  // Inputs both parsers must reject: the check is that BIND agrees they are broken.
  const REJECTED = [
    { what: 'bad IPv6', line: 'h AAAA 2001:db8::g' },
    { what: 'bad IPv4', line: 'h A 192.0.2.256' },
    { what: 'u16 out of range', line: 'h MX 65536 mail' },
    { what: 'unknown type', line: 'h AAA 2001:db8::1' },
    { what: 'TXT string over 255', line: `h TXT "${'x'.repeat(256)}"` },
    { what: 'label over 63', line: `${'a'.repeat(64)} A 192.0.2.1` },
    { what: 'unterminated quote', line: 'h TXT "abc' },
    { what: 'CNAME and other data', line: 'h CNAME www\nh A 192.0.2.1' },
    { what: 'generic length mismatch', line: 'h TYPE65280 \\# 4 abcdef' },
  ];
  for (const r of REJECTED) {
    it(`BIND rejects too: ${r.what}`, () => {
      const text = `$TTL 60\n$ORIGIN rej.example.\n@ SOA ns1 h 1 1 1 1 1\n NS ns1\nns1 A 192.0.2.1\n${r.line}\n`;
      const file = join(dir, 'rej.example.zone');
      writeFileSync(file, text);
      expect(errorsOf(() => loadZoneFile(file))).to.have.length.greaterThan(0);
      let bindOk = true;
      try {
        execFileSync('named-checkzone', ['-q', 'rej.example', file], { stdio: 'ignore' });
      } catch {
        bindOk = false;
      }
      expect(bindOk, 'named-checkzone accepted it').to.equal(false);
    });
  }
});
