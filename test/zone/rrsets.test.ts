import { expect } from 'chai';
import { parseZone } from '../../src/zone';
import { HEAD, parseBody, rrs } from './helpers';

describe('zone RRsets (RFC 2181 §5)', () => {
  it('gives every record of an RRset the first TTL written, with a warning', () => {
    const z = parseBody('m 100 A 192.0.2.1\nm 50 A 192.0.2.2\nm 60 AAAA 2001:db8::1\n');
    expect(rrs(z, 'm.example.com', 'A').map((r) => r.ttl)).to.deep.equal([100, 100]);
    expect(rrs(z, 'm.example.com', 'AAAA').map((r) => r.ttl)).to.deep.equal([60]);
    expect((z.warnings ?? []).map((w) => [w.format(), w.code])).to.deep.equal([
      ['t.zone:6:1: TTL 50 differs from the TTL 100 of its A RRset (first at t.zone:5:1); using 100 (RFC 2181 §5.2)', 'W_ZONE_RRSET_TTL'],
    ]);
  });

  it('drops duplicate records (names compared case-insensitively), with a warning', () => {
    const z = parseBody('d TXT "a"\nD TXT "a"\nd TXT "b"\nd A 192.0.2.1\nd.example.com. 99 A 192.0.2.1\n');
    expect(rrs(z, 'd.example.com', 'TXT').map((r) => (r.data as Buffer[])[0]?.toString())).to.deep.equal(['a', 'b']);
    expect(rrs(z, 'd.example.com', 'A')).to.have.length(1);
    expect((z.warnings ?? []).map((w) => w.format())).to.deep.equal([
      't.zone:6:1: duplicate TXT record ignored (same as t.zone:5:1) (RFC 2181 §5)',
      't.zone:9:1: duplicate A record ignored (same as t.zone:8:1) (RFC 2181 §5)',
    ]);
  });

  it('has no warnings for a clean zone', () => {
    expect(parseZone(HEAD, { file: 't.zone' }).warnings).to.deep.equal([]);
  });

  it('rejects a bad defaultTtl where the parser is called', () => {
    expect(() => parseZone(HEAD, { file: 't.zone', defaultTtl: 2 ** 31 })).to.throw(RangeError, 'Invalid defaultTtl');
  });
});
