import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressInBlock } from '../../src/signals/block';
import { TokenFileError, TokenStore, bearerToken } from '../../src/signals/tokens';
import { TOKEN_DC1, TOKEN_DC2, TOKENS_TEXT } from './helpers';

describe('signals/tokens: bearer tokens bound to members', () => {
  const store = TokenStore.parse(TOKENS_TEXT, 'test');

  it('binds each token to its member and block', () => {
    expect(store.size).to.equal(2);
    expect(store.lookup(TOKEN_DC1)).to.deep.equal({ tier: 'datacenter', service: 'my-service', member: 'datacenter-1', block: '2001:db8:ae21:7700::/56' });
    expect(store.lookup(TOKEN_DC2)).to.deep.equal({ tier: 'datacenter', service: 'my-service', member: 'datacenter-2' });
  });

  for (const bad of ['', 'x', TOKEN_DC1.slice(0, -1), TOKEN_DC1 + 'a', TOKEN_DC1.toUpperCase()]) {
    it(`refuses the near-miss token '${bad}'`, () => expect(store.lookup(bad)).to.equal(undefined));
  }

  const badFiles: Array<[string, string, RegExp]> = [
    ['too few fields', 'abcdefghijklmnopq datacenter my-service', /want 'TOKEN TIER SERVICE MEMBER \[BLOCK\]'/],
    ['short token', 'short datacenter s m', /shorter than 16/],
    ['unknown tier', 'abcdefghijklmnopq region s m', /tier 'region'/],
    ['bad block', 'abcdefghijklmnopq datacenter s m 10.0.0.0/33', /not an address block/],
    ['duplicate', 'abcdefghijklmnopq datacenter s m\nabcdefghijklmnopq datacenter s n', /:2: duplicate token/],
  ];
  for (const [name, text, re] of badFiles) {
    it(`rejects a tokens file with ${name}`, () => {
      expect(() => TokenStore.parse(text, 'tokens.txt')).to.throw(TokenFileError, re);
    });
  }

  it('loads from --tokens FILE before ANYPICK_TOKENS, and from the env otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-tokens-'));
    try {
      const file = join(dir, 'tokens');
      writeFileSync(file, TOKENS_TEXT);
      const env = { ANYPICK_TOKENS: 'envtoken-0123456789 cluster s c1' };
      expect(TokenStore.load(file, env)!.size).to.equal(2);
      expect(TokenStore.load(undefined, env)!.lookup('envtoken-0123456789')!.member).to.equal('c1');
      expect(TokenStore.load(undefined, {})).to.equal(undefined);
      expect(() => TokenStore.load(join(dir, 'missing'), env)).to.throw(TokenFileError, /cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bearer: Array<[string | undefined, string | undefined]> = [
    ['Bearer abc', 'abc'], ['bearer abc.def-_~+/=', 'abc.def-_~+/='], ['Basic abc', undefined], ['Bearer', undefined], [undefined, undefined], ['Bearer a b', undefined],
  ];
  for (const [header, want] of bearer) {
    it(`reads the bearer token of '${header}'`, () => expect(bearerToken(header)).to.equal(want));
  }
});

describe('signals/block: reported address inside the member block', () => {
  const table: Array<[string, string, boolean]> = [
    ['2001:db8:ae21:7700::1', '2001:db8:ae21:7700::/56', true],
    ['2001:db8:ae21:77ff:ffff::1', '2001:db8:ae21:7700::/56', true],
    ['2001:db8:ae21:7800::1', '2001:db8:ae21:7700::/56', false],
    ['192.0.2.9', '192.0.2.0/24', true],
    ['192.0.3.9', '192.0.2.0/24', false],
    ['192.0.2.9', '2001:db8::/32', false],
    ['not-an-ip', '192.0.2.0/24', false],
    ['192.0.2.9', 'garbage', false],
  ];
  for (const [addr, block, want] of table) {
    it(`${addr} in ${block} → ${want}`, () => expect(addressInBlock(addr, block)).to.equal(want));
  }
});
