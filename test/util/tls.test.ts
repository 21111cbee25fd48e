import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { TlsCertificates, TlsLoadError } from '../../src/util/tls';
import { TestCerts } from '../support/certs';
import type { TestCert } from '../support/certs';
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

  /** Connects (optionally with a client certificate) and resolves with what the server sent, or 'refused'. */
  function hello(port: number, server: TestCert, client?: TestCert): Promise<string> {
    return new Promise((resolve) => {
      const c = connect({ port, host: '127.0.0.1', servername: server.name, ca: readFileSync(server.cert), ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}) });
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      c.on('error', () => undefined);
      c.on('close', () => resolve(got || 'refused'));
    });
  }

  it('with a client CA: clients must present a certificate it signed, also after a reload', async () => {
    const srv = certs.make('srv.test');
    const member = certs.make('member.test');
    const stranger = certs.make('stranger.test');
    const store = TlsCertificates.load([srv], { clientCa: member.cert, flag: '--signals-tls' });
    expect(store.mutual).to.equal(true);
    const server = createServer(store.serverOptions(), (sock) => sock.end('hello'));
    store.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const round of ['loaded', 'reloaded']) {
        if (round === 'reloaded') store.reload();
        expect(await hello(port, srv, member), `${round}: member`).to.equal('hello');
        expect(await hello(port, srv), `${round}: no client certificate`).to.equal('refused');
        expect(await hello(port, srv, stranger), `${round}: a certificate the CA did not sign`).to.equal('refused');
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(TlsCertificates.load([srv]).mutual).to.equal(false);
  });

  it('a client CA file that is missing or not PEM is a TlsLoadError naming the option', () => {
    const srv = certs.make('ca-err.test');
    expect(() => TlsCertificates.load([srv], { clientCa: '/nonexistent-ca.pem', flag: '--signals-tls' })).to.throw(TlsLoadError, /^--signals-tls-client-ca \/nonexistent-ca\.pem: .*ENOENT/);
    writeFileSync(`${srv.cert}.bad`, 'not a certificate');
    expect(() => TlsCertificates.load([srv], { clientCa: `${srv.cert}.bad` })).to.throw(TlsLoadError, /^--tls-client-ca .*\.bad: /);
    expect(() => TlsCertificates.load([], { flag: '--signals-tls' })).to.throw(TlsLoadError, /--signals-tls-cert FILE --signals-tls-key FILE/);
  });
});
