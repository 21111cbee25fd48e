import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { TlsCertificates, TlsLoadError } from '../../src/util/tls';
import { TestCerts } from '../support/certs';
import { requireTools } from '../support/tools';

describe('util/tls: certificates chosen by SNI', function () {
  this.timeout(20000);
  const certs = new TestCerts();
  let tls: TlsCertificates;
  before(function () {
    requireTools(this, 'openssl');
    tls = TlsCertificates.load([certs.make('api.example.com'), certs.make('*.example.org', 'wild'), certs.make('www.example.org')]);
  });
  after(() => certs.remove());

  const cases: [string | undefined, string][] = [
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM.', 'api.example.com'], // case and a trailing dot do not matter
    ['www.example.org', 'www.example.org'], // exact beats the wildcard
    ['shop.example.org', '*.example.org'],
    ['a.shop.example.org', 'api.example.com'], // a wildcard covers one label only: default
    ['unknown.test', 'api.example.com'], // default: the first pair
    [undefined, 'api.example.com'], // no SNI
  ];
  for (const [sni, want] of cases) {
    it(`${sni ?? '(no SNI)'} → ${want}`, () => expect(tls.select(sni).names).to.deep.equal([want]));
  }

  it('a missing file or a key of another certificate is a TlsLoadError naming the files', () => {
    const a = certs.make('a.test');
    const b = certs.make('b.test');
    expect(() => TlsCertificates.load([{ cert: a.cert, key: b.key }])).to.throw(TlsLoadError, /--tls-cert .*a\.test\.crt --tls-key .*b\.test\.key: .*key values mismatch/);
    expect(() => TlsCertificates.load([{ cert: a.cert, key: '/nonexistent.key' }])).to.throw(TlsLoadError, /nonexistent\.key/);
    expect(() => TlsCertificates.load([])).to.throw(TlsLoadError, /no certificate/);
  });

  it('reload takes all pairs or none', () => {
    const a = certs.make('r.test');
    const store = TlsCertificates.load([a]);
    const before = store.list()[0];
    writeFileSync(a.key, 'garbage');
    expect(() => store.reload()).to.throw(TlsLoadError);
    expect(store.list()[0]).to.deep.equal(before);
    certs.make('r.test');
    store.reload();
    expect(store.list()[0].names).to.deep.equal(['r.test']);
  });
});
