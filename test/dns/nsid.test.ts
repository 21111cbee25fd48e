import { expect } from 'chai';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { appendNsid } from '../../src/dns/wire/nsid';
import { parseQuery } from '../../src/dns/wire/query';
import { DnsEngine } from '../../src/dns/engine';
import { DataSet } from '../../src/dns/store';
import { decode, query, silentLogger, testZones } from './helpers';
import { dig, startServe } from './serve-process';
import type { ServeProcess } from './serve-process';
import { requireTools } from '../support/tools';

const ROOT = join(__dirname, '..', '..', '..');

/** A query for `name type` with EDNS and an empty NSID option (and optionally ECS). */
function nsidQuery(name: string, type: string, ecs = false, udp = 1232): Buffer {
  const q = query(name, type, { udp, ecs: ecs ? { family: 1, sourcePrefix: 24, address: '192.0.2.0' } : undefined });
  // Append the NSID option (code 3, length 0) to the OPT RDATA, which is last.
  const rdlenAt = q.length - (ecs ? 11 : 0) - 2;
  const out = Buffer.concat([q, Buffer.from([0, 3, 0, 0])]);
  out.writeUInt16BE(q.readUInt16BE(rdlenAt) + 4, rdlenAt);
  return out;
}

function nsidOf(reply: Buffer): string | undefined {
  const opt = (decode(reply).additionals ?? []).find((r) => r.type === 'OPT') as { options?: Array<{ code: number; data?: Buffer }> } | undefined;
  const o = opt?.options?.find((x) => x.code === 3);
  return o?.data?.toString();
}

describe('dns: NSID (RFC 5001)', () => {
  const engine = new DnsEngine(new DataSet(testZones()), { logger: silentLogger, nsid: 'dns1' });
  const ctx = { tcp: false, address: '127.0.0.1', family: 4 as const };

  it('the parser notes an NSID option', () => {
    const p = parseQuery(nsidQuery('example.com', 'SOA'));
    expect(p.kind === 'query' && p.query.edns?.nsid).to.equal(true);
    const plain = parseQuery(query('example.com', 'SOA', { udp: 1232 }));
    expect(plain.kind === 'query' && plain.query.edns?.nsid).to.equal(undefined);
  });

  const cases: Array<[string, string, boolean]> = [
    ['answer', 'SOA', false],
    ['answer with ECS', 'SOA', true],
    ['NXDOMAIN', 'A', false],
  ];
  for (const [what, type, ecs] of cases) {
    it(`is added to the OPT of an ${what} when asked, and the rest of the reply is unchanged`, () => {
      const name = what === 'NXDOMAIN' ? 'nope.example.com' : 'example.com';
      const withNsid = engine.handle(nsidQuery(name, type, ecs), ctx)!;
      expect(nsidOf(withNsid)).to.equal('dns1');
      const d = decode(withNsid);
      const plain = decode(engine.handle(query(name, type, { udp: 1232, ecs: ecs ? { family: 1, sourcePrefix: 24, address: '192.0.2.0' } : undefined }), ctx)!);
      expect(d.rcode).to.equal(plain.rcode);
      expect(d.answers).to.deep.equal(plain.answers);
      expect(d.authorities).to.deep.equal(plain.authorities);
      if (ecs) {
        const opt = (d.additionals ?? []).find((r) => r.type === 'OPT') as { options: Array<{ code: number }> };
        expect(opt.options.map((o) => o.code)).to.deep.equal([8, 3]);
      }
    });
  }

  it('is not sent when not asked, nor by a server without an NSID', () => {
    expect(nsidOf(engine.handle(query('example.com', 'SOA', { udp: 1232 }), ctx)!)).to.equal(undefined);
    const anonymous = new DnsEngine(new DataSet(testZones()), { logger: silentLogger });
    expect(nsidOf(anonymous.handle(nsidQuery('example.com', 'SOA'), ctx)!)).to.equal(undefined);
  });

  it('appendNsid leaves a reply without OPT, or one that would outgrow the limit, unchanged', () => {
    const noOpt = Buffer.alloc(12);
    expect(appendNsid(noOpt, 0, Buffer.from('x'), 512)).to.equal(noOpt);
    const reply = engine.handle(query('example.com', 'SOA', { udp: 1232 }), ctx)!;
    expect(appendNsid(reply, 0, Buffer.from('dns1'), reply.length + 7)).to.equal(reply);
    expect(appendNsid(reply, 0, Buffer.from('dns1'), reply.length + 8).length).to.equal(reply.length + 8);
    // A wrong RDATA length means the OPT is not where it should be: no change.
    expect(appendNsid(reply, 3, Buffer.from('dns1'), 4096)).to.equal(reply);
  });

  it('serve rejects an empty or oversized --nsid as a usage error (exit 2)', () => {
    for (const bad of ['', 'x'.repeat(129)]) {
      const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'serve', '--nsid', bad, '--dns', '127.0.0.1:0'], { encoding: 'utf8', timeout: 10_000 });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/--nsid .*expected 1\.\.128 bytes of text/);
    }
  });

  describe('with dig against anypick serve --nsid', () => {
    let srv: ServeProcess | undefined;
    before(async function () {
      requireTools(this, 'dig');
      srv = await startServe([join(ROOT, 'zones'), '--nsid', 'node-a']);
    });
    after(async () => {
      await srv?.stop();
    });

    it('dig +nsid shows the node, over UDP and TCP', async () => {
      for (const tcp of [[], ['+tcp']]) {
        const out = await dig(srv!.port, 'example.com', 'SOA', '+nsid', ...tcp);
        expect(out).to.match(/status: NOERROR/);
        expect(out).to.match(/; NSID: 6e 6f 64 65 2d 61 \("node-a"\)/);
      }
      expect(await dig(srv!.port, 'example.com', 'SOA')).to.not.match(/NSID/);
    });
  });
});
