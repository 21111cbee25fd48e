import { expect } from 'chai';
import { parseZone } from '../../src/zone';
import { HEAD, parseBody, rr, rrs } from './helpers';

const txt = (...s: string[]): Buffer[] => s.map((x) => Buffer.from(x, 'latin1'));

describe('zone master-file syntax (RFC 1035 §5)', () => {
  // Each case: a body after HEAD, then the record it must produce.
  const cases: { what: string; body: string; name: string; type: string; ttl?: number; data: unknown }[] = [
    { what: '@ is the origin', body: '@ MX 10 mail', name: 'example.com', type: 'MX', data: { preference: 10, exchange: 'mail.example.com' } },
    { what: 'relative owner gets the origin', body: 'www A 192.0.2.1', name: 'www.example.com', type: 'A', data: '192.0.2.1' },
    { what: 'absolute owner is kept', body: 'www.example.com. A 192.0.2.1', name: 'www.example.com', type: 'A', data: '192.0.2.1' },
    { what: 'names are lower-cased (owner and rdata)', body: 'WWW CNAME Host.Example.COM.', name: 'www.example.com', type: 'CNAME', data: 'host.example.com' },
    { what: '$ORIGIN relative to the current origin', body: '$ORIGIN sub\nx A 192.0.2.2', name: 'x.sub.example.com', type: 'A', data: '192.0.2.2' },
    { what: '$ORIGIN absolute', body: '$ORIGIN other.example.com.\ny A 192.0.2.3', name: 'y.other.example.com', type: 'A', data: '192.0.2.3' },
    { what: 'blank owner is the previous owner', body: 'mail A 192.0.2.25\n  AAAA 2001:db8::25', name: 'mail.example.com', type: 'AAAA', data: '2001:db8::25' },
    { what: 'blank owner after a tab', body: 'mail A 192.0.2.25\n\tMX 5 mail', name: 'mail.example.com', type: 'MX', data: { preference: 5, exchange: 'mail.example.com' } },
    { what: 'TTL then class', body: 'a 60 IN A 192.0.2.4', name: 'a.example.com', type: 'A', ttl: 60, data: '192.0.2.4' },
    { what: 'class then TTL', body: 'a IN 61 A 192.0.2.4', name: 'a.example.com', type: 'A', ttl: 61, data: '192.0.2.4' },
    { what: 'class only: $TTL applies', body: 'a IN A 192.0.2.4', name: 'a.example.com', type: 'A', ttl: 300, data: '192.0.2.4' },
    { what: 'TTL only', body: 'a 62 A 192.0.2.4', name: 'a.example.com', type: 'A', ttl: 62, data: '192.0.2.4' },
    { what: 'neither TTL nor class', body: 'a A 192.0.2.4', name: 'a.example.com', type: 'A', ttl: 300, data: '192.0.2.4' },
    { what: 'CLASS1 is IN (RFC 3597 §5)', body: 'a CLASS1 A 192.0.2.4', name: 'a.example.com', type: 'A', data: '192.0.2.4' },
    { what: 'TTL unit h+m', body: 'a 1h30m A 192.0.2.5', name: 'a.example.com', type: 'A', ttl: 5400, data: '192.0.2.5' },
    { what: 'TTL unit w', body: 'a 1w A 192.0.2.5', name: 'a.example.com', type: 'A', ttl: 604800, data: '192.0.2.5' },
    { what: 'TTL units any case', body: 'a 2D12H A 192.0.2.5', name: 'a.example.com', type: 'A', ttl: 216000, data: '192.0.2.5' },
    { what: 'TTL 2^31-1 is allowed', body: 'a 2147483647 A 192.0.2.5', name: 'a.example.com', type: 'A', ttl: 2147483647, data: '192.0.2.5' },
    { what: '$TTL with units', body: '$TTL 1d\na A 192.0.2.6', name: 'a.example.com', type: 'A', ttl: 86400, data: '192.0.2.6' },
    {
      what: 'parentheses join lines, comments inside',
      body: 'svc SRV ( 1 ; priority\n  2 ; weight\n  443 ; port\n  Target ) ; done',
      name: 'svc.example.com',
      type: 'SRV',
      data: { priority: 1, weight: 2, port: 443, target: 'target.example.com' },
    },
    { what: 'parentheses in quotes are text', body: 't TXT "a(b" ")"', name: 't.example.com', type: 'TXT', data: txt('a(b', ')') },
    { what: '; in quotes is text', body: 't TXT "a;b" ; real comment', name: 't.example.com', type: 'TXT', data: txt('a;b') },
    { what: 'escaped quote and backslash', body: 't TXT "say \\"hi\\" \\\\o/"', name: 't.example.com', type: 'TXT', data: txt('say "hi" \\o/') },
    { what: '\\DDD escapes are octets', body: 't TXT "\\065\\255x"', name: 't.example.com', type: 'TXT', data: [Buffer.from([65, 255, 120])] },
    { what: 'several strings, unquoted too', body: 't TXT one "two three" four', name: 't.example.com', type: 'TXT', data: txt('one', 'two three', 'four') },
    { what: 'empty string', body: 't TXT ""', name: 't.example.com', type: 'TXT', data: txt('') },
    { what: '255-octet string', body: `t TXT "${'x'.repeat(255)}"`, name: 't.example.com', type: 'TXT', data: txt('x'.repeat(255)) },
    { what: 'wildcard owner', body: '*.wild A 192.0.2.7', name: '*.wild.example.com', type: 'A', data: '192.0.2.7' },
    { what: 'escaped letters in a name', body: '\\119ww A 192.0.2.8', name: 'www.example.com', type: 'A', data: '192.0.2.8' },
    { what: '63-octet label', body: `${'l'.repeat(63)} A 192.0.2.8`, name: `${'l'.repeat(63)}.example.com`, type: 'A', data: '192.0.2.8' },
    { what: 'CRLF line ends', body: 'crlf A 192.0.2.10\r\n  AAAA 2001:db8::10\r\n', name: 'crlf.example.com', type: 'AAAA', data: '2001:db8::10' },
    { what: 'type in lower case', body: 'lc mx 1 mail', name: 'lc.example.com', type: 'MX', data: { preference: 1, exchange: 'mail.example.com' } },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const z = parseBody(c.body + '\n');
      const r = rr(z, c.name, c.type);
      expect(r.data).to.deep.equal(c.data);
      expect(r.class).to.equal('IN');
      if (c.ttl !== undefined) expect(r.ttl).to.equal(c.ttl);
    });
  }

  it('an escaped dot in the SOA RNAME stays in its label (dns-packet mail form)', () => {
    const z = parseZone('$ORIGIN example.com.\n@ SOA ns1 John\\.Doe 1 2 3 4 5\n NS ns1\n', { file: 't.zone' });
    expect(z.soa.data).to.deep.equal({ mname: 'ns1.example.com', rname: 'john\\.doe.example.com', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 });
  });

  it('a 255-octet name is allowed', () => {
    // Wire form: 3 x (1 + 63) + (1 + 49) + (1 + 7) + (1 + 3) + 1 = 255 octets.
    const labels = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(49)];
    const name = `${labels.join('.')}.example.com`;
    expect(name.length + 2).to.equal(255);
    const z = parseBody(`${name}. A 192.0.2.1\n`);
    expect(rrs(z, name)).to.have.length(1);
  });

  it('records keep their position, blank-owner records at their first token', () => {
    const z = parseBody('p A 192.0.2.1\n   AAAA 2001:db8::1\n');
    expect(rr(z, 'p.example.com', 'A').pos).to.deep.equal({ file: 't.zone', line: 5, col: 1 });
    expect(rr(z, 'p.example.com', 'AAAA').pos).to.deep.equal({ file: 't.zone', line: 6, col: 4 });
  });

  describe('origin', () => {
    const body = '@ SOA ns1 h 1 2 3 4 5\n  NS ns1\nwww A 192.0.2.1\n';
    const table = [
      { what: '$ORIGIN in the file wins', text: '$ORIGIN from-file.example.\n' + body, opts: { file: 'dir/name.example.zone', origin: 'arg.example' }, origin: 'from-file.example' },
      { what: 'then the origin argument', text: body, opts: { file: 'dir/name.example.zone', origin: 'Arg.Example.' }, origin: 'arg.example' },
      { what: 'then the file name', text: body, opts: { file: 'dir/name.example.zone' }, origin: 'name.example' },
    ];
    for (const t of table) {
      it(t.what, () => {
        const z = parseZone(t.text, t.opts);
        expect(z.origin).to.equal(t.origin);
        expect(z.soa.name).to.equal(t.origin);
        expect(rrs(z, `www.${t.origin}`, 'A')).to.have.length(1);
      });
    }
  });

  describe('default TTL', () => {
    const soa = '$ORIGIN example.com.\n@ SOA ns1 h 1 2 3 4 1234\n  NS ns1\nx A 192.0.2.1\ny 77 A 192.0.2.2\nz A 192.0.2.3\n';
    it('without $TTL, records take the last TTL written (RFC 1035 §5.1, as BIND), the SOA its MINIMUM, with warnings', () => {
      const z = parseZone(soa, { file: 't.zone' });
      expect(z.soa.ttl).to.equal(1234);
      expect(rr(z, 'x.example.com', 'A').ttl).to.equal(1234);
      expect(rr(z, 'y.example.com', 'A').ttl).to.equal(77);
      // RFC 2308 §4 made MINIMUM the negative-caching TTL: z takes y's 77, not 1234.
      expect(rr(z, 'z.example.com', 'A').ttl).to.equal(77);
      expect((z.warnings ?? []).map((w) => w.code)).to.deep.equal(['W_ZONE_NO_TTL', 'W_ZONE_NO_TTL']);
    });
    it('the defaultTtl option replaces the SOA MINIMUM', () => {
      const z = parseZone(soa, { file: 't.zone', defaultTtl: 42 });
      expect(rr(z, 'x.example.com', 'A').ttl).to.equal(42);
      expect(z.soa.ttl).to.equal(42);
    });
    it('$TTL replaces both from where it appears', () => {
      const z = parseZone(soa.replace('y 77', '$TTL 99\ny 77'), { file: 't.zone', defaultTtl: 42 });
      expect(rr(z, 'x.example.com', 'A').ttl).to.equal(42);
      expect(rr(z, 'z.example.com', 'A').ttl).to.equal(99);
    });
  });

  it('HEAD itself parses into SOA and NS at the apex', () => {
    const z = parseZone(HEAD, { file: 't.zone' });
    expect(z.records.map((r) => r.type)).to.deep.equal(['SOA', 'NS']);
    expect(z.soa.data).to.deep.equal({ mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 1, refresh: 7200, retry: 1800, expire: 1209600, minimum: 300 });
  });
});
