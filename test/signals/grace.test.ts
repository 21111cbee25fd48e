import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { serveWithPorts } from '../support/anypick';
import { digShort } from '../support/dig';
import type { AnypickProcess } from '../support/anypick';

const ZONE = '$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster ( 1 2h 30m 2w 5m )\n  NS ns1\nns1 A 127.0.0.1\n';
// Seed example 5's top tier: members only from membership, blocks in the datacenter sections.
const DELIVERY = `delivery global
  publish:
    presence @availability as otel.event
  subscribe:
    presence @availability to membership
  lease: 2s
  datacenter-pick-service my-service:
    listen: "https://example.com"
    next-hop-strategy:
      dynamic: internet-location-then-dynamic-weight
      tolerance: 20000km
      answers: 2
      when-none-ready: none
    next-hop-members:
      dynamic: membership.my-service.datacenter
    datacenter-1
      location: 37.4,-122.1
      block: 2001:db8:ae21:7700::/56
    datacenter-2
      location: 50.1,8.7
      block: 2001:db8:478:2800::/56
`;

const dig = (port: number): Promise<string[]> => digShort(port, 'example.com', 'AAAA');

describe('signals: a restarted node answers from static configuration for one lease', function () {
  this.timeout(30_000);
  let dir = '';
  let proc: AnypickProcess | undefined;
  before(function () {
    requireTools(this, 'dig');
    dir = mkdtempSync(join(tmpdir(), 'anypick-grace-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    writeFileSync(join(dir, 'my-service.delivery'), DELIVERY);
    writeFileSync(join(dir, 'tokens'), 'grace-token-datacenter-1-0123456789 datacenter my-service datacenter-1\n');
  });
  after(async () => {
    await proc?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('membership members are answered during the grace period, and leave once it ends without reports', async () => {
    const srv = await serveWithPorts([dir, '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens'), '--geoip-db', 'none']);
    proc = srv.proc;
    // Nobody has reported yet: within the first lease the static blocks answer (never empty).
    expect(await dig(srv.dns)).to.deep.equal(['2001:db8:478:2800::', '2001:db8:ae21:7700::']);
    // After the lease (2 s) with no presence, nobody holds one: nothing is ready (when-none-ready: none).
    const end = Date.now() + 6000;
    let last: string[] = [];
    while (Date.now() < end) {
      last = await dig(srv.dns);
      if (last.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last).to.deep.equal([]);
  });
});
