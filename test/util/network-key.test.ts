import { expect } from 'chai';
import { isV6Key, networkKeyOf, networkKeyOfBytes, networkKeyText, parseNetworkKey } from '../../src/util/network-key';
import { parseAddress } from '../../src/util/ip';

describe('util/network-key', () => {
  it('aggregates addresses to /24 and /48 and prints the network', () => {
    const rows: Array<[string, string]> = [
      ['198.51.100.7', '198.51.100.0/24'],
      ['::ffff:198.51.100.7', '198.51.100.0/24'],
      ['2001:db8:7:1::9', '2001:db8:7::/48'],
      ['255.255.255.255', '255.255.255.0/24'],
      ['ffff:ffff:ffff:ffff::1', 'ffff:ffff:ffff::/48'],
    ];
    for (const [addr, net] of rows) expect(networkKeyText(networkKeyOf(addr)), addr).to.equal(net);
    expect(isV6Key(networkKeyOf('2001:db8::1'))).to.equal(true);
    expect(isV6Key(networkKeyOf('10.0.0.1'))).to.equal(false);
  });

  it('takes other prefixes', () => {
    const p = { v4: 16, v6: 32 };
    expect(networkKeyText(networkKeyOf('10.3.9.1', p), p)).to.equal('10.3.0.0/16');
    expect(networkKeyText(networkKeyOf('2001:db8:7::1', p), p)).to.equal('2001:db8::/32');
    expect(networkKeyText(networkKeyOf('10.3.9.1', { v4: 32, v6: 48 }), { v4: 32, v6: 48 })).to.equal('10.3.9.1/32');
  });

  it('reads truncated ECS bytes like the padded address', () => {
    expect(networkKeyOfBytes(new Uint8Array([10, 1, 2]), false)).to.equal(networkKeyOf('10.1.2.0'));
    expect(networkKeyOfBytes(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 7]), true)).to.equal(networkKeyOf('2001:db8:7::'));
    expect(networkKeyOfBytes(parseAddress('::ffff:10.1.2.3'), true)).to.equal(networkKeyOf('10.1.2.0'));
  });

  it('parses reported networks: finer ones aggregate, coarser ones and host bits are refused', () => {
    expect(parseNetworkKey('198.51.100.0/24')).to.equal(networkKeyOf('198.51.100.0'));
    expect(parseNetworkKey('198.51.100.128/25')).to.equal(networkKeyOf('198.51.100.0'));
    expect(parseNetworkKey('2001:db8:7::/48')).to.equal(networkKeyOf('2001:db8:7::'));
    expect(parseNetworkKey('::ffff:198.51.100.0/120')).to.equal(networkKeyOf('198.51.100.0'));
    for (const bad of ['198.51.0.0/16', '198.51.100.7/24', '198.51.100.0', '198.51.100.0/33', 'x/24', '2001:db8::/32', '198.51.100.0/24x', '']) {
      expect(parseNetworkKey(bad), bad).to.equal(undefined);
    }
  });
});
