import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { ROOT, SAMPLE_DB } from '../geo/support';
import { run, serve } from './support';
import type { Served } from './support';

/** zones/example.com.delivery's datacenters and their AAAA. */
const ADDRESS: Record<string, string> = {
  'datacenter-1': '2001:db8:ae21:7700::',
  'datacenter-2': '2001:db8:478:2800::',
  'datacenter-3': '2001:db8:c001:e400::',
};

describe('README quick start: geo picks (run against npm start\'s zones/ and sample DB)', function () {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').filter((l) => /^dig .*AAAA.*# .*: datacenter-\d$/.test(l));
  let server: Served | undefined;
  before(async function () {
    requireTools(this, 'dig');
    server = await serve([join(ROOT, 'zones'), '--geoip-db', SAMPLE_DB]);
  });
  after(async () => server?.stop());

  it('has the dig examples (three regions)', () => expect(lines).to.have.length(3));

  for (const line of lines) {
    const [cmd, comment] = line.split('#');
    const want = /(datacenter-\d)$/.exec(comment.trim())![1];
    it(`${cmd.trim()} → ${want}`, async () => {
      const args = cmd.trim().split(/\s+/).slice(1).map((a) => (a === '5300' ? String(server!.port) : a));
      const r = await run('dig', [...args, '+short']);
      expect(r.stdout.trim()).to.equal(ADDRESS[want]);
    });
  }
});
