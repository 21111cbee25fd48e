import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBgpConfigs } from '../../src/bgp/load';
import { resolveSecret } from '../../src/bgp/adapter';
import { SockoptUnavailableError, checkSecuritySupport } from '../../src/bgp/transport';
import type { loadAddon } from '../../src/native/addon';

function load(neighborLines: string[], files: Record<string, string> = {}): { errors: string[]; n?: ReturnType<typeof loadBgpConfigs>['configs'][0]['neighbors'][0]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bgp-sec-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'x.delivery'), `process dns:
  listen: 2001:db8::53
process a:
  dns:
    check: dns
  routes neighbor 2001:db8::1
    local-asn 64511;
    peer-asn 65536;
${neighborLines.map((l) => `    ${l}\n`).join('')}  bgp: a.dns
`);
  try {
    const r = loadBgpConfigs([join(dir, 'x.delivery')]);
    return { errors: r.errors, n: r.configs[0]?.neighbors[0], dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bgp neighbor security options: password, ttl-security, bfd', () => {
  const env = process.env;
  afterEach(() => { process.env = env; });

  it('password env:NAME reads the key from the environment at start', () => {
    process.env = { ...env, ANYPICK_TEST_KEY: 'Open-Sesame' };
    const r = load(['password env:ANYPICK_TEST_KEY;', 'ttl-security;']);
    expect(r.errors).to.deep.equal([]);
    expect(r.n!.md5Key!.toString()).to.equal('Open-Sesame');
    expect(r.n!.ttlSecurity).to.equal(true);
  });

  it('a missing variable is an error at the password line', () => {
    process.env = { ...env };
    delete process.env.ANYPICK_TEST_KEY;
    const r = load(['password env:ANYPICK_TEST_KEY;']);
    expect(r.errors.join('\n')).to.match(/x\.delivery:9:14: password env:ANYPICK_TEST_KEY: the environment variable is not set/);
  });

  it('credential:NAME reads $CREDENTIALS_DIRECTORY/NAME (systemd LoadCredential=), without the trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-cred-'));
    try {
      writeFileSync(join(dir, 'bgp-tor1'), 'from-systemd\n');
      const pos = { file: 'x.delivery', line: 1, col: 1 };
      expect(resolveSecret({ source: 'credential', name: 'bgp-tor1', pos }, { CREDENTIALS_DIRECTORY: dir }).toString()).to.equal('from-systemd');
      expect(resolveSecret({ source: 'file', name: join(dir, 'bgp-tor1'), pos }, {}).toString()).to.equal('from-systemd');
      expect(() => resolveSecret({ source: 'credential', name: 'bgp-tor1', pos }, {})).to.throw(/CREDENTIALS_DIRECTORY is not set/);
      expect(() => resolveSecret({ source: 'file', name: join(dir, 'nope'), pos }, {})).to.throw(/cannot read .*ENOENT/);
      writeFileSync(join(dir, 'long'), 'x'.repeat(81));
      expect(() => resolveSecret({ source: 'file', name: join(dir, 'long'), pos }, {})).to.throw(/1\.\.80 octets/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a literal password is refused (it would live in git) without echoing it', () => {
    const r = load(['password "Open-Sesame";']);
    expect(r.errors.join('\n')).to.match(/password takes env:NAME, file:PATH or credential:NAME/);
    expect(r.errors.join('\n')).to.not.include('Open-Sesame');
  });

  it('bfd with defaults (300 ms × 3) and with bfd-interval / bfd-multiplier', () => {
    expect(load(['bfd;']).n!.bfd).to.deep.equal({ intervalMs: 300, multiplier: 3 });
    expect(load(['bfd;', 'bfd-interval 100ms;', 'bfd-multiplier 5;']).n!.bfd).to.deep.equal({ intervalMs: 100, multiplier: 5 });
    expect(load([]).n!.bfd).to.equal(undefined);
  });

  it('bad bfd values and bfd timing without bfd are errors', () => {
    expect(load(['bfd;', 'bfd-interval 5ms;']).errors.join('\n')).to.match(/bfd-interval must be 10ms\.\.60s/);
    expect(load(['bfd;', 'bfd-multiplier 0;']).errors.join('\n')).to.match(/bfd-multiplier 0 out of range 1\.\.255/);
    expect(load(['bfd-interval 100ms;']).errors.join('\n')).to.match(/'bfd-interval' needs 'bfd;'/);
  });
});

describe('bgp socket options need the native addon: a clear start-up error, never ignored', () => {
  const missing = (() => ({ ok: false, reason: 'native addon anypick_sockopt is not built (run npm ci with g++, make and Node headers)' })) as unknown as typeof loadAddon;
  it('password, ttl-security or bfd without the addon → SockoptUnavailableError naming the neighbor and option', () => {
    for (const [peer, want] of [
      [{ address: '2001:db8::1', md5Key: Buffer.from('k'), ttlSecurity: false }, /neighbor 2001:db8::1: TCP-MD5 \(password\) needs the native addon anypick_sockopt: .*not built/],
      [{ address: '192.0.2.1', ttlSecurity: true }, /neighbor 192\.0\.2\.1: ttl-security needs the native addon/],
      [{ address: '192.0.2.1', ttlSecurity: false, bfd: {} }, /neighbor 192\.0\.2\.1: bfd needs the native addon/],
    ] as const) {
      expect(() => checkSecuritySupport([peer], missing)).to.throw(SockoptUnavailableError, want);
    }
  });
  it('plain neighbors do not need it', () => {
    expect(() => checkSecuritySupport([{ address: '192.0.2.1', ttlSecurity: false }], missing)).to.not.throw();
  });
});
