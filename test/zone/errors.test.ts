import { expect } from 'chai';
import { SourceErrors } from '../../src/util/source-error';
import { parseZone } from '../../src/zone';
import { HEAD, errorsOf } from './helpers';

/**
 * Broken inputs and the exact errors they give. Bodies follow HEAD (4 lines), so their first
 * line is line 5; `full` cases are whole files.
 */
const BROKEN: { what: string; body?: string; full?: string; file?: string; errors: string[]; code?: string }[] = [
  { what: 'bad IPv6', body: 'ns1    AAAA   2001:db8::g\n', errors: ["t.zone:5:15: invalid IPv6 address '2001:db8::g'"], code: 'E_ZONE_VALUE' },
  { what: 'IPv6 with a zone index', body: 'h AAAA fe80::1%eth0\n', errors: ["t.zone:5:8: invalid IPv6 address 'fe80::1%eth0'"] },
  { what: 'bad IPv4', body: 'h A 192.0.2.256\n', errors: ["t.zone:5:5: invalid IPv4 address '192.0.2.256'"] },
  { what: 'IPv4 with a leading zero', body: 'h A 192.0.2.010\n', errors: ["t.zone:5:5: invalid IPv4 address '192.0.2.010'"] },
  { what: 'TTL above 2^32-1', body: 'h 4294967296 A 192.0.2.1\n', errors: ['t.zone:5:3: TTL 4294967296 exceeds the limit 4294967295'], code: 'E_ZONE_VALUE' },
  { what: 'TTL with units above 2^32-1', body: 'h 7102w A 192.0.2.1\n', errors: ["t.zone:5:3: TTL '7102w' (4295289600 seconds) exceeds the limit 4294967295"] },
  { what: '$TTL with an unknown unit', body: '$TTL 1y\n', errors: ["t.zone:5:6: invalid TTL '1y' (expected seconds or units like 1h30m, 1d, 1w)"] },
  { what: 'class other than IN', body: 'h 60 CH TXT "x"\n', errors: ["t.zone:5:6: class 'CH' is not supported: zones here are class IN"], code: 'E_ZONE_CLASS' },
  { what: 'u16 out of range', body: '_s._tcp SRV 1 1 65536 h\n', errors: ['t.zone:5:17: SRV port 65536 is out of range (0-65535)'] },
  { what: 'u32 out of range', full: '$ORIGIN example.com.\n@ SOA ns1 h 4294967296 1 1 1 1\n  NS ns1\n', errors: ['t.zone:2:13: SOA serial 4294967296 is out of range (0-4294967295)'] },
  { what: 'not a number', body: 'm MX ten mail\n', errors: ["t.zone:5:6: invalid MX preference 'ten' (expected an integer 0-65535)"] },
  { what: 'unterminated quoted string', body: 't TXT "abc\nu A 192.0.2.1\n', errors: ['t.zone:5:7: unterminated quoted string'], code: 'E_ZONE_SYNTAX' },
  { what: "')' without '('", body: 't A 192.0.2.1 )\n', errors: ["t.zone:5:15: ')' without a matching '('"] },
  { what: "'(' never closed", body: 't TXT ( "a"\n "b"\n', errors: ["t.zone:5:7: '(' is never closed"] },
  { what: 'unknown type', body: 'h AAA 2001:db8::1\n', errors: ["t.zone:5:3: unknown record type 'AAA'"], code: 'E_ZONE_TYPE' },
  { what: 'type without presentation form', body: 'h AFSDB 1 afs\n', errors: ['t.zone:5:3: type AFSDB is only supported in RFC 3597 generic form: AFSDB \\# <length> <hex>'] },
  { what: 'meta type', body: 'h AXFR 192.0.2.1\n', errors: ['t.zone:5:3: AXFR is a meta or query type and cannot appear in a zone (RFC 6895 §3.1)'] },
  { what: 'missing type', body: 'h 300 IN\n', errors: ['t.zone:5:9: record is missing its type'] },
  { what: 'missing rdata', body: 'h MX 10\n', errors: ['t.zone:5:8: MX record is missing its exchange'] },
  { what: 'extra rdata', body: 'h A 192.0.2.1 192.0.2.2\n', errors: ["t.zone:5:15: unexpected '192.0.2.2' after the A rdata"] },
  { what: 'label over 63 octets', body: `${'a'.repeat(64)} A 192.0.2.1\n`, errors: [`t.zone:5:1: label in name '${'a'.repeat(64)}' is 64 octets long; the limit is 63 (RFC 1035 §2.3.4)`], code: 'E_ZONE_NAME' },
  {
    what: 'name over 255 octets',
    body: `h CNAME ${['a', 'b', 'c', 'd'].map((c) => c.repeat(63)).join('.')}.\n`,
    errors: [`t.zone:5:9: name '${['a', 'b', 'c', 'd'].map((c) => c.repeat(63)).join('.')}.' is 257 octets long in wire form; the limit is 255 (RFC 1035 §2.3.4)`],
  },
  { what: 'empty label', body: 'a..b A 192.0.2.1\n', errors: ["t.zone:5:1: empty label in name 'a..b'"] },
  { what: 'bad \\DDD escape', body: 't TXT "\\256"\n', errors: ["t.zone:5:7: '\\256' is not an octet (0-255)"] },
  { what: 'TXT string over 255 octets', body: `t TXT "${'x'.repeat(256)}"\n`, errors: ['t.zone:5:7: TXT character-string is 256 octets long; the limit is 255 (RFC 1035 §3.3)'] },
  { what: 'blank owner first', full: '  A 192.0.2.1\n', file: 't.txt', errors: ['t.txt:1:3: record has no owner name and there is no previous owner', "t.txt:1:1: zone '.' has no SOA record at its apex", "t.txt:1:1: zone apex '.' has no NS records"] },
  { what: 'relative name without an origin', full: 'www A 192.0.2.1\n', file: 't.txt', errors: ["t.txt:1:1: relative name 'www' but no origin: add $ORIGIN, pass an origin, or name the file <origin>.zone", "t.txt:1:1: zone '.' has no SOA record at its apex", "t.txt:1:1: zone apex '.' has no NS records"] },
  { what: 'unsupported directive', body: '$GENERATE 1-4 h$ A 192.0.2.$\n', errors: ['t.zone:5:1: $GENERATE (a BIND extension) is not supported: write the records out (named-compilezone -o - prints them expanded)'] },
  { what: 'other directive', body: '$DATE 20261129\n', errors: ["t.zone:5:1: unsupported directive '$DATE' (supported: $ORIGIN, $TTL, $INCLUDE)"] },
  { what: 'indented directive', body: '\t$TTL 300\n', errors: ["t.zone:5:2: directive '$TTL' must start at the beginning of the line (indented, it would be a record)"] },
  { what: 'data below a DNAME', body: 'd DNAME example.net.\nx.d A 192.0.2.1\n', errors: ["t.zone:6:1: 'x.d.example.com' lies below the DNAME at 'd.example.com' (t.zone:5:1) and could never be served (RFC 6672 §2.4)"], code: 'E_ZONE_DNAME' },
  { what: 'NS naming a CNAME', body: 'sub NS alias\nalias CNAME www\n', errors: ["t.zone:5:1: NS target 'alias.example.com' is a CNAME (t.zone:6:1); it must name a host (RFC 2181 §10.3)"], code: 'E_ZONE_NS_CNAME' },
  { what: 'SVCB: mandatory key missing', body: 'h HTTPS 1 . mandatory=port alpn=h2\n', errors: ["t.zone:5:13: mandatory lists 'port', which the record does not have (RFC 9460 §8)"] },
  { what: 'SVCB: duplicate key', body: 'h SVCB 1 . port=1 port=2\n', errors: ["t.zone:5:19: SvcParam 'port' appears twice (RFC 9460 §2.2)"] },
  { what: 'SVCB: no-default-alpn without alpn', body: 'h SVCB 1 . no-default-alpn\n', errors: ['t.zone:5:12: no-default-alpn needs an alpn SvcParam (RFC 9460 §7.1.1)'] },
  { what: 'SVCB: unknown key name', body: 'h SVCB 1 . foo=1\n', errors: ["t.zone:5:12: unknown SvcParamKey 'foo' (RFC 9460 §14.3.2; unnamed keys are written keyNNNNN)"] },
  { what: 'SVCB: bad ipv4hint', body: 'h SVCB 1 . ipv4hint=192.0.2.300\n', errors: ["t.zone:5:12: invalid IPv4 address '192.0.2.300'"] },
  { what: 'LOC: latitude out of range', body: 'h LOC 91 0 0 N 0 0 0 E 0m\n', errors: ["t.zone:5:7: LOC latitude '91 0 0' is out of range"] },
  { what: 'DNSKEY: protocol not 3', body: 'h DNSKEY 257 2 13 AAAA\n', errors: ['t.zone:5:14: DNSKEY protocol 2 must be 3 (RFC 4034 §2.1.2)'] },
  { what: 'URI: target not quoted', body: 'h URI 10 1 https://x/\n', errors: ['t.zone:5:12: URI target must be a quoted string (RFC 7553 §4.5)'] },
  { what: '$ORIGIN without a name', body: '$ORIGIN\n', errors: ['t.zone:5:8: $ORIGIN needs a domain name'] },
  { what: 'second SOA', body: '@ SOA ns2 h 2 1 1 1 1\n', errors: ['t.zone:5:1: second SOA record for \'example.com\' (the first is at t.zone:3:1); a zone has exactly one'], code: 'E_ZONE_SOA' },
  { what: 'SOA below the apex', body: 'sub SOA ns1 h 1 1 1 1 1\n', errors: ["t.zone:5:1: SOA record at 'sub.example.com' is not at the zone apex 'example.com'"] },
  { what: 'no SOA', full: '$ORIGIN example.com.\n@ NS ns1\n', errors: ["t.zone:1:1: zone 'example.com' has no SOA record at its apex"] },
  { what: 'no NS at the apex', full: '$ORIGIN example.com.\n@ SOA ns1 h 1 1 1 1 1\nsub NS ns1\n', errors: ["t.zone:2:1: zone apex 'example.com' has no NS records"], code: 'E_ZONE_NS' },
  {
    what: 'CNAME and other data',
    body: 'alias CNAME www\nalias TXT "x"\n',
    errors: ["t.zone:5:1: CNAME at 'alias.example.com' cannot coexist with other data (TXT at t.zone:6:1) (RFC 1034 §3.6.2, RFC 2181 §10.1)"],
    code: 'E_ZONE_CNAME',
  },
  { what: 'CNAME at the apex', body: '@ CNAME www\n', errors: ["t.zone:5:1: CNAME at 'example.com' cannot coexist with other data (SOA at t.zone:3:1) (RFC 1034 §3.6.2, RFC 2181 §10.1)"] },
  { what: 'two CNAMEs', body: 'a CNAME b\na CNAME c\n', errors: ["t.zone:6:1: second CNAME at 'a.example.com' (the first is at t.zone:5:1) (RFC 1034 §3.6.2)"] },
  { what: 'CAA tag', body: '@ CAA 0 is-sue "x"\n', errors: ["t.zone:5:9: invalid CAA tag 'is-sue' (1-15 letters and digits)"] },
  { what: 'SSHFP length', body: 'h SSHFP 1 2 abcd\n', errors: ['t.zone:5:13: SSHFP fingerprint is 2 octets; type 2 needs 32'] },
  { what: 'DS digest length', body: 'h DS 1 13 2 abcd\n', errors: ['t.zone:5:13: DS digest is 2 octets; type 2 needs 32'] },
  { what: 'odd hex', body: 'h TLSA 3 1 0 abc\n', errors: ["t.zone:5:14: invalid certificate association data 'abc' (expected an even number of hex digits)"] },
  { what: 'generic length mismatch', body: 'h TYPE65280 \\# 4 abcdef\n', errors: ['t.zone:5:16: generic RDATA length 4 does not match the 3 octets given'] },
  { what: 'generic data that is not the type', body: 'h TYPE1 \\# 3 abcdef\n', errors: ['t.zone:5:12: generic RDATA is not valid A data: it does not re-encode to the same octets'] },
];

describe('zone errors: file:line:col and message', () => {
  for (const b of BROKEN) {
    it(b.what, () => {
      const text = b.full ?? HEAD + (b.body ?? '');
      const file = b.file ?? 't.zone';
      expect(errorsOf(() => parseZone(text, { file }))).to.deep.equal(b.errors);
      if (b.code) {
        try {
          parseZone(text, { file });
        } catch (err) {
          expect((err as SourceErrors).errors[0]?.code).to.equal(b.code);
        }
      }
    });
  }

  it('collects every error of a file in one pass, in file order, and keeps going after each', () => {
    const body = [
      'a A 192.0.2.300', // 5
      'b A 192.0.2.2', // 6: fine
      'c TXT "open', // 7
      'd 99999999999 A 192.0.2.4', // 8
      'e AAAA 2001:db8::1', // 9: fine
      'f MX 1', // 10
      'g.example.net. A 192.0.2.7', // 11
    ].join('\n');
    expect(errorsOf(() => parseZone(HEAD + body + '\n', { file: 'zones/x.zone' }))).to.deep.equal([
      "zones/x.zone:5:5: invalid IPv4 address '192.0.2.300'",
      'zones/x.zone:7:7: unterminated quoted string',
      'zones/x.zone:8:3: TTL 99999999999 exceeds the limit 4294967295',
      'zones/x.zone:10:7: MX record is missing its exchange',
    ]);
  });

  it('has at least 12 broken inputs', () => {
    expect(BROKEN.length).to.be.at.least(12);
  });
});
