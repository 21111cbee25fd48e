import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { serveWithPorts, spawnAnypick } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';

const ROOT = join(__dirname, '..', '..', '..');
const SHOT = join(ROOT, 'test-output', 'dashboard.png');
const CHROMIUM = '/usr/bin/chromium';
const T1 = 'dash-token-datacenter-1-0123456789';
const T2 = 'dash-token-datacenter-2-0123456789';

const ZONE = '$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster ( 1 2h 30m 2w 5m )\n  NS ns1\nns1 A 127.0.0.1\n';
const DELIVERY = `service my-service:
  listen "https://example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
    tolerance: 20000km
  next-hop-members:
    datacenter-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56"
    datacenter-2 10 dyn "example.com AAAA IN 90 2001:db8:0478:2800::/56"
`;

function dig(port: number): Promise<void> {
  return new Promise((resolve) => execFile('dig', ['@127.0.0.1', '-p', String(port), '+short', 'AAAA', 'example.com'], () => resolve()));
}

describe('dashboard: the live state of a running anypick serve in headless Chromium', function () {
  this.timeout(90_000);
  let dir = '';
  const procs: AnypickProcess[] = [];

  before(function () {
    requireTools(this, 'dig', CHROMIUM);
    dir = mkdtempSync(join(tmpdir(), 'anypick-dashboard-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    writeFileSync(join(dir, 'my-service.delivery'), DELIVERY);
    writeFileSync(join(dir, 'tokens'), `${T1} datacenter my-service datacenter-1\n${T2} datacenter my-service datacenter-2\n`);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows members with their signals, answer shares and changes, updates live, and is captured', async () => {
    const { chromium } = await import('playwright-core');
    const srv = await serveWithPorts([dir, '--signals', '127.0.0.1:0', '--tokens', join(dir, 'tokens'), '--geoip-db', 'none', '--nsid', 'dash-node']);
    procs.push(srv.proc);
    const reporter = (member: string, token: string, util: string) =>
      spawnAnypick(['report', '--tier', 'datacenter', '--service', 'my-service', '--member', member, '--endpoint', `http://127.0.0.1:${srv.signals}`, '--token', token, '--interval', '250ms', '--utilization', util]);
    const r1 = reporter('datacenter-1', T1, '0.3');
    const r2 = reporter('datacenter-2', T2, '0.6');
    procs.push(r1, r2);
    for (let i = 0; i < 40; i++) await dig(srv.dns);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`http://127.0.0.1:${srv.http}/`);
      await page.waitForSelector('[data-testid="node"]:has-text("dash-node")');
      // Both members live from signals, with their reported utilization.
      const row = (m: string) => page.locator(`tr[data-member="${m}"]`);
      await row('datacenter-1').locator('text=signals').waitFor({ timeout: 20_000 });
      await row('datacenter-2').locator('text=signals').waitFor({ timeout: 20_000 });
      await row('datacenter-1').locator('text=30%').waitFor();
      await row('datacenter-2').locator('text=60%').waitFor();
      expect(await row('datacenter-1').innerText()).to.match(/present[\s\S]*ready/);
      // The answer-share chart has bars and a legend for both members.
      await page.waitForSelector('[data-testid="legend"] [data-key="datacenter-1"]');
      await page.waitForSelector('[data-testid="legend"] [data-key="datacenter-2"]');
      expect(await page.locator('[data-testid="chart"] rect').count()).to.be.greaterThan(0);
      expect(await page.locator('[data-testid="queries"]').innerText()).to.match(/\d+ queries/);

      // Live update without reloading: datacenter-2 leaves (SIGTERM sends 'leaving').
      await r2.stop('SIGTERM');
      await row('datacenter-2').locator('text=absent').waitFor({ timeout: 10_000 });
      await page.waitForSelector('[data-testid="events"] li:has-text("datacenter-2")');

      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      await page.screenshot({ path: SHOT, fullPage: true });
    } finally {
      await browser.close();
    }
    expect(statSync(SHOT).size).to.be.greaterThan(10_000);
    expect(readFileSync(SHOT).subarray(1, 4).toString()).to.equal('PNG');
  });
});
