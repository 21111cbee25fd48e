/**
 * The per-QTYPE metric label is bounded: QTYPEs come from untrusted queries, so 3,000
 * distinct codes sent to a real `anypick serve` must not mint 3,000 series (registered
 * mnemonics keep their name, everything else counts as `other`).
 */
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { startServe } from '../ops/serve-process';
import { rrTypeByCode } from '../../src/rrtype/registry';

const ZONES = join(__dirname, '..', '..', '..', 'test', 'interop', 'zones');

describe('DNS metrics: bounded QTYPE labels', function () {
  this.timeout(60000);

  it('3,000 distinct unregistered QTYPEs add one series, type="other"', async () => {
    const serve = await startServe([ZONES], {}, false);
    try {
      const sock = createSocket('udp4');
      let replies = 0;
      sock.on('message', () => replies++);
      const codes: number[] = [];
      for (let c = 1000; codes.length < 3000; c++) if (rrTypeByCode(c).name.startsWith('TYPE')) codes.push(c);
      const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'www.diff.test', type: 'A', class: 'IN' }] });
      for (const [i, c] of codes.entries()) {
        const m = Buffer.from(q);
        m.writeUInt16BE(i & 0xffff, 0);
        m.writeUInt16BE(c, m.length - 4);
        sock.send(m, serve.dnsPort, '127.0.0.1');
        // At most 50 queries in flight (a loaded machine drops UDP), waiting at most 100 ms.
        for (let w = 0; w < 20 && i + 1 - replies > 50; w++) await new Promise((r) => setTimeout(r, 5));
      }
      for (let w = 0; w < 40 && replies < codes.length; w++) await new Promise((r) => setTimeout(r, 25));
      sock.send(dnsPacket.encode({ type: 'query', id: 2, questions: [{ name: 'www.diff.test', type: 'AAAA', class: 'IN' }] }), serve.dnsPort, '127.0.0.1');
      // Counters reach the exposition in batches: scrape until the queries are there.
      let text = '';
      let other = 0;
      for (let i = 0; i < 60 && other < replies - 1; i++) {
        await new Promise((r) => setTimeout(r, 250));
        text = await (await fetch(`http://127.0.0.1:${serve.httpPort}/metrics`)).text();
        other = Number(/^anypick_dns_queries_total\{[^}]*type="other"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
      }
      sock.close();
      expect(replies, 'replies received').to.be.greaterThan(2500);
      const types = [...text.matchAll(/^anypick_dns_queries_total\{[^}]*type="([^"]+)"/gm)].map((m) => m[1]);
      expect(types.sort()).to.deep.equal(['AAAA', 'other']);
      expect(other).to.be.at.least(replies - 1);
    } finally {
      await serve.stop();
    }
  });
});
