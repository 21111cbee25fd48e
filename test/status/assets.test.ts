import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startTelemetryServer } from '../../src/telemetry/http';
import { Telemetry } from '../../src/telemetry/metrics';
import { dashboardAssets } from '../../src/status/assets';
import { SeriesStore } from '../../src/status/series';

describe('status: the dashboard\'s JSON documents and assets on the telemetry server', () => {
  it('serves /series.json made per request, the package files under /assets/, and 404 for anything else', async () => {
    const store = new SeriesStore({ stepMs: 1000, points: 4 });
    const telemetry = new Telemetry({});
    const http = await startTelemetryServer({ listen: '127.0.0.1:0', telemetry, json: { '/series.json': () => store.view() }, assets: dashboardAssets() });
    const base = `http://127.0.0.1:${http.address().port}`;
    try {
      store.begin(1000);
      store.set('qps', 'total', 7);
      const r = await fetch(`${base}/series.json`);
      expect(r.headers.get('content-type')).to.equal('application/json');
      expect(((await r.json()) as { groups: unknown }).groups).to.deep.equal({ qps: { total: [7] } });
      store.begin(2000);
      store.set('qps', 'total', 9);
      expect(((await (await fetch(`${base}/series.json`)).json()) as { t: number[] }).t).to.deep.equal([1000, 2000]);
      for (const [path, file, type] of [
        ['/assets/uplot.js', 'uplot/dist/uPlot.iife.min.js', 'text/javascript'],
        ['/assets/uplot.css', 'uplot/dist/uPlot.min.css', 'text/css'],
        ['/assets/topojson-client.js', 'topojson-client/dist/topojson-client.min.js', 'text/javascript'],
        ['/assets/countries-110m.json', 'world-atlas/countries-110m.json', 'application/json'],
      ]) {
        const a = await fetch(base + path);
        expect(a.status, path).to.equal(200);
        expect(a.headers.get('content-type')).to.contain(type);
        expect(Buffer.from(await a.arrayBuffer()).equals(readFileSync(require.resolve(file))), path).to.equal(true);
      }
      for (const path of ['/assets/', '/assets/../package.json', '/toString', '/traffic.json']) expect((await fetch(base + path)).status, path).to.equal(404);
    } finally {
      await http.close();
      await telemetry.shutdown();
    }
  });
});
