import { expect } from 'chai';
import { CommunityError, formatCommunity, parseCommunity } from '../../src/util/community';

describe('util/community: RFC 1997 A:B', () => {
  it('parses both halves into one 32-bit value and formats it back', () => {
    for (const [text, v] of [['0:0', 0], ['65535:0', 0xffff0000], ['64511:100', 4227792996], ['65535:65281', 0xffffff01]] as const) {
      expect(parseCommunity(text)).to.equal(v);
      expect(formatCommunity(v)).to.equal(text);
    }
  });

  it('rejects what is not two decimal integers 0..65535', () => {
    for (const bad of ['65536:0', '0:65536', '1', '1:2:3', ':1', '1:', '-1:2', ' 1:2', '0x1:2', '1.0:2', '99999999999999999999:1']) {
      expect(() => parseCommunity(bad), bad).to.throw(CommunityError, /bad community/);
    }
  });
});
