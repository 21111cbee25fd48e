import { expect } from 'chai';
import { startTelemetryServer } from '../../src/telemetry/http';
import { Telemetry } from '../../src/telemetry/metrics';
import { startSignalsReceiver } from '../../src/signals/receiver';
import { MemberRegistry } from '../../src/signals/registry';
import { TokenStore } from '../../src/signals/tokens';
import { docExamples, jsonHeaders, post, TOKENS_TEXT } from './helpers';

describe('telemetry: /metrics and /status.json', () => {
  it('exposes ingest counts, lease state, DNS counters and the state version', async () => {
    const registry = new MemberRegistry({ graceMs: 0 });
    const telemetry = new Telemetry({
      registry,
      dnsSnapshot: () => ({ queriesByType: { AAAA: 7 }, repliesByRcode: { NOERROR: 6, NXDOMAIN: 1 } }),
    });
    const receiver = await startSignalsReceiver({ listen: '127.0.0.1:0', registry, tokens: TokenStore.parse(TOKENS_TEXT, 't'), observer: telemetry });
    const rx2 = { url: `http://127.0.0.1:${receiver.address().port}`, registry };
    const http = await startTelemetryServer({ listen: '127.0.0.1:0', telemetry, registry });
    try {
      const body = docExamples().get('presence-up')!.body;
      expect((await post(`${rx2.url}/v1/logs`, body, jsonHeaders())).status).to.equal(200);
      expect((await post(`${rx2.url}/v1/logs`, body.replace('ae21:7700::1', 'ffff::1'), jsonHeaders())).status).to.equal(200);
      expect((await post(`${rx2.url}/v1/logs`, body, { 'content-type': 'application/json' })).status).to.equal(401);
      telemetry.answer('my-service', 'datacenter-1');
      const base = `http://127.0.0.1:${http.address().port}`;
      const metrics = await (await fetch(`${base}/metrics`)).text();
      if (process.env.SHOW_METRICS) console.log(metrics);
      expect(metrics).to.match(/anypick_signals_ingested_total\{signal="logs",outcome="accepted"[^}]*\} 2/);
      expect(metrics).to.match(/anypick_signals_ingested_total\{signal="logs",outcome="rejected"[^}]*\} 2/);
      expect(metrics).to.match(/anypick_signals_refused_total\{status="401"[^}]*\} 1/);
      expect(metrics).to.match(/anypick_dns_queries_total\{type="AAAA"[^}]*\} 7/);
      expect(metrics).to.match(/anypick_dns_replies_total\{rcode="NXDOMAIN"[^}]*\} 1/);
      expect(metrics).to.match(/anypick_dns_answers_total\{service="my-service",member="datacenter-1"[^}]*\} 1/);
      expect(metrics).to.match(/anypick_signals_lease_expiries_total\{[^}]*\} 0/);
      expect(metrics).to.include(`anypick_signals_state_digest{digest="${registry.digest()}"`);
      const status = await (await fetch(`${base}/status.json`)).json() as any;
      expect(status.signals.version).to.equal(rx2.registry.version);
      expect(status.signals.digest).to.equal(rx2.registry.digest()).and.match(/^[0-9a-f]{16}$/);
      expect(status.signals.members.map((m: any) => `${m.member}:${m.present}`)).to.deep.equal(['datacenter-1:true']);
      expect((await fetch(`${base}/nope`)).status).to.equal(404);
    } finally {
      await http.close();
      await telemetry.shutdown();
      await receiver.close();
      registry.close();
    }
  });
});
