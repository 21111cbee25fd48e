import { expect } from 'chai';
import { AddressError, formatAddress, networkOf, parseAddress, unmapV4 } from '../../src/util/ip';
import { ipv4PrefixFromTree } from '../../src/geo/lookup';

describe('util/ip', () => {
  const roundTrips: [string, string][] = [
    ['10.1.2.3', '10.1.2.3'],
    ['0.0.0.0', '0.0.0.0'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0478:2800::', '2001:db8:478:2800::'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:1:1:1:0:1', '2001:db8:1:1:1:1:0:1'],
    ['::ffff:10.3.0.1', '::ffff:a03:1'],
  ];
  for (const [input, want] of roundTrips) {
    it(`parses and formats ${input}`, () => expect(formatAddress(parseAddress(input))).to.equal(want));
  }

  for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4.5', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', '1.2.3.1000', '00.1.2.3', '1.2.3.-4', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::g', 'example.com', '1:2:3:4:5:6:7::8']) {
    it(`rejects '${bad}'`, () => expect(() => parseAddress(bad)).to.throw(AddressError).with.property('code', 'E_ADDRESS'));
  }

  const networks: [string, number, string][] = [
    ['10.3.200.7', 16, '10.3.0.0/16'],
    ['10.3.200.7', 0, '0.0.0.0/0'],
    ['10.3.200.7', 32, '10.3.200.7/32'],
    ['10.3.200.7', 20, '10.3.192.0/20'],
    ['2001:db8:478:28ff::9', 56, '2001:db8:478:2800::/56'],
    ['2001:db8:3:ffff::1', 48, '2001:db8:3::/48'],
    ['::1', 128, '::1/128'],
  ];
  for (const [ip, len, want] of networks) {
    it(`masks ${ip}/${len} to ${want}`, () => expect(networkOf(parseAddress(ip), len)).to.equal(want));
  }
  it('rejects a prefix length beyond the family', () => {
    expect(() => networkOf(parseAddress('10.0.0.1'), 33)).to.throw(AddressError);
    expect(() => networkOf(parseAddress('::1'), -1)).to.throw(AddressError);
  });

  it('unmaps IPv4-mapped IPv6 only', () => {
    expect(formatAddress(unmapV4(parseAddress('::ffff:127.0.1.1')))).to.equal('127.0.1.1');
    expect(formatAddress(unmapV4(parseAddress('::127.0.1.1')))).to.equal('::7f00:101');
    expect(formatAddress(unmapV4(parseAddress('2001:db8::ffff:1:1')))).to.equal('2001:db8::ffff:1:1');
  });

  const prefixes: [number, number][] = [[16, 16], [32, 32], [0, 0], [112, 16], [128, 32], [96, 0], [7, 7]];
  for (const [tree, want] of prefixes) {
    it(`IPv4 prefix ${tree} from an IPv6 tree is /${want}`, () => expect(ipv4PrefixFromTree(tree)).to.equal(want));
  }
});
