import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { serveWithPorts } from '../support/anypick';
import type { AnypickProcess } from '../support/anypick';

const ROOT = join(__dirname, '..', '..', '..');
const SHOT = join(ROOT, 'test-output', 'dashboard-series.png');
const CHROMIUM = '/usr/bin/chromium';
const LOAD_SECONDS = 5;

/**
 * dnsperf -E CODE:HEX sends a raw EDNS option: ECS (RFC 7871 §6, option 8) of FAMILY 1, SOURCE
 * PREFIX-LENGTH 24, SCOPE 0 and the first three address bytes. The sample database
 * (geo-data/README.md) places 10.1/16 in us-west (US), 10.2/16 in europe (DE), 10.3/16 in
 * asia (JP); the example zones' nearest datacenters are datacenter-1, -2 and -3.
 */
const CLIENTS = [
  { subnet: '10.1.0', region: 'US', member: 'datacenter-1' },
  { subnet: '10.2.0', region: 'DE', member: 'datacenter-2' },
  { subnet: '10.3.0', region: 'JP', member: 'datacenter-3' },
];
const ecsOption = (subnet: string): string => '8:' + '0001' + '18' + '00' + subnet.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join('');

/** Runs dnsperf against the server for LOAD_SECONDS with one client subnet; resolves with the queries sent and answered. */
function dnsperf(port: number, queries: string, subnet: string): Promise<{ sent: number; completed: number }> {
  return new Promise((resolve, reject) =>
    execFile('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(LOAD_SECONDS), '-Q', '300', '-c', '2', '-E', ecsOption(subnet)], (err, stdout) => {
      if (err) return reject(new Error(`dnsperf failed: ${err.message}`, { cause: err }));
      const sent = /Queries sent:\s+(\d+)/.exec(stdout);
      const done = /Queries completed:\s+(\d+)/.exec(stdout);
      if (!sent || !done) return reject(new Error(`no summary from dnsperf:\n${stdout}`));
      resolve({ sent: Number(sent[1]), completed: Number(done[1]) });
    }),
  );
}

interface SeriesJson {
  stepSeconds: number;
  from: number | null;
  t: number[];
  groups: Record<string, Record<string, Array<number | null>>>;
}

describe('dashboard over time: charts and the traffic map of a serve under dnsperf load, in headless Chromium', function () {
  this.timeout(120_000);
  let dir = '';
  let proc: AnypickProcess | undefined;

  before(function () {
    requireTools(this, 'dnsperf', CHROMIUM);
    dir = mkdtempSync(join(tmpdir(), 'anypick-dashboard-series-'));
    writeFileSync(join(dir, 'queries'), 'example.com AAAA\nexample.com A\n');
  });

  after(async () => {
    await proc?.stop('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows queries/s and latency over time and each datacenter\'s client regions on the map, and is captured', async () => {
    const { chromium } = await import('playwright-core');
    const srv = await serveWithPorts([join(ROOT, 'zones'), '--geoip-db', join(ROOT, 'geo-data', 'sample.mmdb'), '--series-step', '1s', '--nsid', 'series-node']);
    proc = srv.proc;
    const load = await Promise.all(CLIENTS.map((c) => dnsperf(srv.dns, join(dir, 'queries'), c.subnet)));
    for (const l of load) expect(l.completed).to.be.greaterThan(100);
    // The server replied to every query it got: at least those dnsperf saw answered, at most those it sent.
    const within = (n: number | undefined, lo: number, hi: number, what: string): unknown => expect(n, what).to.be.within(lo - 0.01, hi + 0.01);

    const base = `http://127.0.0.1:${srv.http}`;
    // A step later every answer of the load has been sampled (the answers are drained once a second).
    await new Promise((r) => setTimeout(r, 2500));
    const series = (await (await fetch(`${base}/series.json`)).json()) as SeriesJson;
    expect(series.stepSeconds).to.equal(1);
    // Each rate times its point's interval gives the count back: every reply of the load is in the qps series.
    const completed = load.reduce((a, l) => a + l.completed, 0);
    const sent = load.reduce((a, l) => a + l.sent, 0);
    const counted = (v: Array<number | null>): number => v.reduce<number>((a, r, i) => a + ((r ?? 0) * (series.t[i] - (i === 0 ? series.from! : series.t[i - 1]))) / 1000, 0);
    within(counted(series.groups.qps.total), completed, sent, 'qps total');
    within(counted(series.groups.qps.NOERROR), completed, sent, 'qps NOERROR');
    expect(series.groups.qps.NOERROR).to.be.an('array');
    const p50 = series.groups.latency.p50.filter((v): v is number => v !== null);
    const p99 = series.groups.latency.p99.filter((v): v is number => v !== null);
    expect(p50.length).to.be.at.least(LOAD_SECONDS - 1);
    p50.forEach((v, i) => expect(v).to.be.above(0).and.at.most(p99[i]));
    const traffic = (await (await fetch(`${base}/traffic.json`)).json()) as { cells: Array<{ member: string; region: string; n: number }> };
    for (const [i, c] of CLIENTS.entries()) {
      const cell = traffic.cells.find((x) => x.member === c.member && x.region === c.region);
      // Every answer of a client's load (A and AAAA alike) came from its nearest datacenter.
      within(cell?.n, load[i].completed, load[i].sent, `${c.member} ${c.region}`);
    }

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      await page.goto(`${base}/`);
      await page.waitForSelector('[data-testid="node"]:has-text("series-node")');
      for (const id of ['chart-qps', 'chart-latency']) {
        await page.waitForFunction(`Number(document.querySelector('[data-testid="${id}"]')?.dataset.points) > 0`);
        // uPlot drew it: a canvas with the series in its legend.
        expect(await page.locator(`[data-testid="${id}"] canvas`).count(), id).to.equal(1);
      }
      expect(await page.locator('[data-testid="chart-latency"]').getAttribute('data-series')).to.equal('p50 p99');
      expect(await page.locator('[data-testid="chart-qps"] .u-legend').innerText()).to.contain('NOERROR');
      // The world outline is drawn, and one bubble per datacenter at its clients' region.
      expect((await page.locator('[data-testid="land"]').getAttribute('d'))?.length).to.be.greaterThan(10_000);
      for (const c of CLIENTS) {
        await page.waitForSelector(`[data-testid="map"] circle[data-member="${c.member}"][data-region="${c.region}"]`);
        expect(await page.locator(`[data-testid="traffic"] tr[data-traffic-member="${c.member}"]`).innerText()).to.contain(c.region);
      }
      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      await page.screenshot({ path: SHOT, fullPage: true });
    } finally {
      await browser.close();
    }
    expect(statSync(SHOT).size).to.be.greaterThan(10_000);
    expect(readFileSync(SHOT).subarray(1, 4).toString()).to.equal('PNG');
  });
});
