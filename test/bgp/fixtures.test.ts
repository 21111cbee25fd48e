import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, encodeMessage } from '../../src/bgp/wire/message';

// Messages BIRD 2.0.12 sent to the speaker, captured by test/bgp/support/capture-fixtures.ts.
const DIR = join(__dirname, '..', '..', '..', 'test', 'bgp', 'fixtures');
const files = readdirSync(DIR).filter((f) => f.endsWith('.bin')).sort();
const load = (f: string) => readFileSync(join(DIR, f));

describe('bgp wire: messages captured from BIRD', () => {
  it('finds the fixtures (every message type BIRD sent)', () => {
    expect(files.length).to.be.at.least(8);
    const types = new Set(files.map((f) => f.split('-').slice(1, -1).join('-')));
    expect([...types].sort()).to.deep.equal(['keepalive', 'notification', 'open', 'route-refresh', 'update']);
  });

  for (const f of files) {
    it(`${f} decodes and re-encodes byte for byte`, () => {
      const raw = load(f);
      const m = decodeMessage(raw, { as4: true });
      expect(m.type).to.equal(f.split('-').slice(1, -1).join('-'));
      expect(encodeMessage(m, { as4: true }).toString('hex')).to.equal(raw.toString('hex'));
      if (m.type === 'update') expect(m.update.issues).to.deep.equal([]);
    });
  }

  it("BIRD's OPEN: AS 65536 via AS_TRANS and the 4-octet capability, hold 9, both families", () => {
    const m = decodeMessage(load('bird-open-1.bin'));
    if (m.type !== 'open') throw new Error('not open');
    expect([m.open.myAs, m.open.asn, m.open.holdTime, m.open.routerId]).to.deep.equal([23456, 65536, 9, '198.51.100.2']);
    expect(m.open.families()).to.deep.equal([{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
    expect(m.open.supportsRouteRefresh()).to.equal(true);
    // Graceful restart (64) and others are present and ignored.
    expect(m.open.capabilities.map((c) => c.code)).to.include(64);
  });

  it("BIRD's IPv6 UPDATE: extended-length MP_REACH_NLRI with a global next hop and two prefixes", () => {
    const m = decodeMessage(load('bird-update-1.bin'));
    if (m.type !== 'update') throw new Error('not update');
    const mp = m.update.attributes.find((a) => a.type === 'mp-reach');
    expect(mp?.flags).to.equal(0x90);
    expect(mp && mp.type === 'mp-reach' && mp.nextHops).to.deep.equal(['2001:db8:478:2853::5353']);
    expect(m.update.announced().map(String).sort()).to.deep.equal(['2001:db8:fffe::/64', '2001:db8:ffff::/48']);
    const path = m.update.attributes.find((a) => a.type === 'as-path');
    expect(path && path.type === 'as-path' && path.segments).to.deep.equal([{ type: 2, asns: [65536] }]);
  });

  it("BIRD's IPv4 UPDATE and both End-of-RIB markers", () => {
    const files4 = ['bird-update-2.bin', 'bird-update-3.bin', 'bird-update-4.bin'].map((f) => decodeMessage(load(f)));
    const u = files4.map((m) => (m.type === 'update' ? m.update : undefined));
    expect(u[1]!.announced().map(String)).to.deep.equal(['203.0.113.0/24']);
    expect(u[1]!.attributes.find((a) => a.type === 'next-hop')).to.deep.include({ addr: '198.51.100.2' });
    expect([u[0]!.isEndOfRib(), u[1]!.isEndOfRib(), u[2]!.isEndOfRib()]).to.deep.equal([true, false, true]);
  });

  it("BIRD's NOTIFICATION: Cease/Administrative Shutdown with its shutdown communication", () => {
    const m = decodeMessage(load('bird-notification-1.bin'));
    if (m.type !== 'notification') throw new Error('not notification');
    expect(m.notification.toString()).to.equal('Cease/Administrative Shutdown (6/2)');
    expect(m.notification.shutdownMessage()).to.equal('maintenance window');
  });
});
