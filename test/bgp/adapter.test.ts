import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBgpConfigs } from '../../src/bgp/load';
import { seedExample } from '../support/seed';

/** Seed example 4 as the repository keeps it (examples/seed/). */
const SEED = seedExample(4);
const ZONE = join(__dirname, '..', '..', '..', 'zones', 'example.com.zone');

function withFile(text: string, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bgp-adapter-'));
  try {
    writeFileSync(join(dir, 'x.delivery'), text);
    fn(join(dir, 'x.delivery'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bgp configuration from the delivery language', () => {
  it('seed example 4: one announcer, the listen address as /128, the neighbor, a dns check', () => {
    const r = loadBgpConfigs([SEED, ZONE]);
    expect(r.errors).to.deep.equal([]);
    expect(r.configs).to.have.length(1);
    const c = r.configs[0]!;
    expect(c.name).to.equal('announce-routes');
    expect(c.prefixes).to.deep.equal(['2001:db8::53/128']);
    expect(c.check).to.deep.equal({
      target: { kind: 'dns', address: '2001:db8::53', port: 53, name: 'example.com', qtype: 'SOA', tcp: false },
      intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 2,
    });
    expect(c.neighbors[0]).to.deep.include({
      address: '2001:db8:478:2853::5353', localAddress: '2001:db8:c001:e453::5353', localAsn: 64511, peerAsn: 65536,
      port: 179, holdTime: 90, passive: false,
    });
    expect(c.drainMs).to.equal(5000);
  });

  it('without zones the dns check asks for the root SOA', () => {
    const r = loadBgpConfigs([SEED]);
    const t = r.configs[0]!.check.target;
    expect(t.kind === 'dns' && t.name).to.equal('');
  });

  it('extensions: prefixes, timers, query, tcp, neighbor options, communities, drain', () => {
    withFile(`process dns:
  listen: 192.0.2.53
process announce-routes:
  dns:
    check: dns
    interval: 200ms
    timeout: 100ms
    rise: 3
    fall: 1
    query: www.example.com AAAA
    tcp: yes
  routes neighbor 192.0.2.1
    local-asn 64511;
    peer-asn 64511;
    port 1179;
    hold-time 9;
    passive;
    router-id 192.0.2.53;
    community 64511:100;
    med 50;
  prefix: 192.0.2.0/24
  prefix: 2001:db8:53::/48
  drain: 2s
  bgp: announce-routes.dns
`, (path) => {
      const r = loadBgpConfigs([path]);
      expect(r.errors).to.deep.equal([]);
      const c = r.configs[0]!;
      expect(c.prefixes).to.deep.equal(['192.0.2.0/24', '2001:db8:53::/48']);
      expect(c.check).to.deep.equal({ target: { kind: 'dns', address: '192.0.2.53', port: 53, name: 'www.example.com', qtype: 'AAAA', tcp: true }, intervalMs: 200, timeoutMs: 100, rise: 3, fall: 1 });
      expect(c.neighbors[0]).to.deep.include({ port: 1179, holdTime: 9, passive: true, routerId: '192.0.2.53', communities: [64511 * 65536 + 100], med: 50 });
      expect(c.drainMs).to.equal(2000);
    });
  });

  it('tcp, http and exec checks', () => {
    for (const [check, want] of [
      ['tcp [2001:db8::53]:53', { kind: 'tcp', host: '2001:db8::53', port: 53 }],
      ['http http://127.0.0.1:8080/health', { kind: 'http', url: 'http://127.0.0.1:8080/health' }],
      ['exec "dig +short example.com"', { kind: 'exec', command: 'dig +short example.com' }],
    ] as const) {
      withFile(`process dns:\n  listen: 2001:db8::53\nprocess a:\n  up:\n    check: ${check}\n  routes neighbor 2001:db8::1\n    local-asn 1;\n    peer-asn 2;\n  bgp: a.up\n`, (path) => {
        const r = loadBgpConfigs([path]);
        expect(r.errors).to.deep.equal([]);
        expect(r.configs[0]!.check.target).to.deep.equal(want);
      });
    }
  });

  it('bgp: without a neighbor is an error, not a silent no-op', () => {
    withFile('process dns:\n  listen: 2001:db8::53\nprocess a:\n  dns:\n    check: dns\n  bgp: a.dns\n', (path) => {
      const r = loadBgpConfigs([path]);
      expect(r.configs).to.deep.equal([]);
      expect(r.errors.join('\n')).to.match(/needs at least one 'routes neighbor'/);
    });
  });

  it("a community that is not A:B is a config error at its column", () => {
    withFile('process dns:\n  listen: 2001:db8::53\nprocess a:\n  dns:\n    check: dns\n  routes neighbor 2001:db8::1\n    local-asn 1;\n    peer-asn 2;\n    community 65536:0;\n  bgp: a.dns\n', (path) => {
      const r = loadBgpConfigs([path]);
      expect(r.configs).to.deep.equal([]);
      expect(r.errors.join('\n')).to.match(/:9:15: .*bad community '65536:0' \(expected A:B, each 0\.\.65535\)/);
    });
  });
});
