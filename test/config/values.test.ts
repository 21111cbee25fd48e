import { expect } from 'chai';
import { blockContains, parseAsn, parseBlock, parseDistanceKm, parseDuration, parseLocation, parseUrl, parseWeight, ValueError } from '../../src/config/values';

describe('config: value parsers', () => {
  const OK: [string, () => unknown, unknown][] = [
    ['duration ms', () => parseDuration('200ms'), 200],
    ['duration s', () => parseDuration('3s'), 3000],
    ['duration m', () => parseDuration('1m'), 60000],
    ['distance', () => parseDistanceKm('500km'), 500],
    ['ASN 4-octet max', () => parseAsn('4294967295'), 4294967295],
    ['weight 0', () => parseWeight('0'), 0],
    ['location', () => parseLocation('35.7,139.7'), { lat: 35.7, lon: 139.7 }],
    ['block keeps ADDR, canonical network', () => parseBlock('2001:DB8:0478:2800::/56'), { address: '2001:db8:0478:2800::', family: 6, prefixLength: 56, network: '2001:db8:478:2800::/56', hostBits: false }],
    ['block with host bits', () => parseBlock('192.0.2.10/24'), { address: '192.0.2.10', family: 4, prefixLength: 24, network: '192.0.2.0/24', hostBits: true }],
    ['IPv4-mapped block', () => parseBlock('::ffff:192.0.2.1/120').network, '::ffff:c000:200/120'],
    ['URL with port and IPv6', () => parseUrl('http://[::1]:4318/v1'), { scheme: 'http', host: '::1', port: 4318, path: '/v1' }],
    ['URL without path', () => parseUrl('https://Example.COM'), { scheme: 'https', host: 'example.com', port: undefined, path: '/' }],
  ];
  for (const [name, f, want] of OK) it(name, () => expect(f()).to.deep.equal(want));

  it('blockContains', () => {
    const b = parseBlock('2001:db8:ae21:7700::/56');
    expect(blockContains(b, '2001:db8:ae21:77ff::1', 6)).to.equal(true);
    expect(blockContains(b, '2001:db8:ae21:7800::1', 6)).to.equal(false);
    expect(blockContains(b, '192.0.2.1', 4)).to.equal(false);
  });

  const BAD: [string, () => unknown, string][] = [
    ['duration without unit', () => parseDuration('5'), "bad duration '5' (expected a number and a unit: 500ms, 1.5s, 2m, 1h, 14d)"],
    ['zero duration', () => parseDuration('0ms'), "duration '0ms' must be greater than zero"],
    ['distance in miles', () => parseDistanceKm('3mi'), "bad distance '3mi' (expected kilometres, e.g. 500km)"],
    ['ASN 0', () => parseAsn('0'), 'AS number 0 out of range 1..4294967295'],
    ['negative weight', () => parseWeight('-1'), "weight must be an integer 0..65535, got '-1'"],
    ['fractional weight', () => parseWeight('1.5'), "weight must be an integer 0..65535, got '1.5'"],
    ['block without length', () => parseBlock('2001:db8::'), "bad address block '2001:db8::' (expected ADDR/LEN)"],
    ['IPv6 zone index', () => parseBlock('fe80::1%eth0/64'), "bad IP address 'fe80::1%eth0' in block 'fe80::1%eth0/64'"],
    ['IPv4 leading zero', () => parseBlock('192.0.02.1/24'), "bad IP address '192.0.02.1' in block '192.0.02.1/24'"],
    ['latitude', () => parseLocation('-91,0'), 'latitude -91 out of range -90..90'],
    ['URL without scheme', () => parseUrl('example.com/x'), "bad URL 'example.com/x' (expected scheme://host[:port]/path)"],
    ['URL port 0', () => parseUrl('http://a.example:0/'), "port 0 out of range 1..65535 in URL 'http://a.example:0/'"],
  ];
  for (const [name, f, msg] of BAD) {
    it(`rejects: ${name}`, () => {
      expect(f).to.throw(ValueError, msg);
      try { f(); } catch (e) { expect((e as Error).message).to.equal(msg); }
    });
  }
});
