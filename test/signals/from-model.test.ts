import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPaths } from '../../src/config/load';
import { subscribedKinds } from '../../src/signals/config';
import { signalsConfigFromModel } from '../../src/signals/from-model';
import { SEED_DIR as SEED } from '../support/seed';

describe('signals/from-model: the delivery file configures signals', () => {
  it('seed example 5: publish/subscribe rules, errors not subscribed, default lease', function () {
    const r = loadPaths([join(SEED, '5-delivery-global.delivery')]);
    expect(r.errors.map((e) => e.format())).to.deep.equal([]);
    const cfg = signalsConfigFromModel(r.model);
    expect(cfg.publish.map((p) => `${p.signal} ${p.channel} ${p.as}`)).to.deep.equal([
      'presence @availability otel.event', 'readiness @availability otel.event', 'utilization @telemetry otel.metric', 'errors @telemetry otel.event',
    ]);
    expect([...subscribedKinds(cfg)].sort()).to.deep.equal(['presence', 'readiness', 'utilization']);
    expect(cfg.leaseMs).to.equal(3000);
    expect(cfg.reportIntervalMs).to.equal(1000);
  });

  it('seed example 3: blocks of the static dyn members', function () {
    const cfg = signalsConfigFromModel(loadPaths([join(SEED, '3-datacenter-pick.delivery')]).model);
    expect(cfg.blocks.get('datacenter/my-service/datacenter-2')).to.deep.equal(['2001:db8:478:2800::/56']);
  });

  it('channels, lease, report-interval and section blocks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypick-signals-model-'));
    try {
      writeFileSync(join(dir, 'g.delivery'), `delivery global
  publish:
    presence @availability as otel.event
    utilization @telemetry as otel.metric
  subscribe:
    presence @availability to membership
  channel @availability: endpoint "http://127.0.0.1:4318" "http://[::1]:4318"
  channel @telemetry: endpoint "http://127.0.0.1:4319"
  lease: 2s
  report-interval: 500ms
  datacenter-pick-service my-service:
    listen: "https://example.com"
    next-hop-strategy:
      dynamic: internet-location-then-dynamic-weight
    next-hop-members:
      dynamic: membership.my-service.datacenter
    datacenter-1
      location: 37.4,-122.1
      block: 2001:db8:ae21:7700::/56
`);
      const r = loadPaths([dir]);
      expect(r.errors.map((e) => e.format())).to.deep.equal([]);
      const cfg = signalsConfigFromModel(r.model);
      expect(cfg.leaseMs).to.equal(2000);
      expect(cfg.graceMs).to.equal(2000);
      expect(cfg.reportIntervalMs).to.equal(500);
      expect(cfg.channels.get('@availability')).to.deep.equal(['http://127.0.0.1:4318', 'http://[::1]:4318']);
      expect(cfg.channels.get('@telemetry')).to.deep.equal(['http://127.0.0.1:4319']);
      expect([...subscribedKinds(cfg)]).to.deep.equal(['presence']);
      expect(cfg.blocks.get('datacenter/my-service/datacenter-1')).to.deep.equal(['2001:db8:ae21:7700::/56']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
