import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPaths } from '../../src/config/load';
import { datacenterServices } from '../../src/pick/datacenter-services';
import { ROOT, SAMPLE_DB } from '../geo/support';
import { EXAMPLE_ZONE, MAIN } from '../gslb/support';

const DOC = join(ROOT, 'docs', 'datacenter-pick.md');

function blocks(lang: string): string[] {
  const text = readFileSync(DOC, 'utf8');
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  return [...text.matchAll(re)].map((m) => m[1]);
}

describe('docs/datacenter-pick.md examples', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'anypick-dcdoc-'));
    writeFileSync(join(dir, 'example.com.zone'), EXAMPLE_ZONE);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has the examples (a test that finds none fails)', () => {
    expect(blocks('delivery')).to.have.length(1);
    expect(blocks('console')).to.have.length(1);
  });

  it('the configuration loads, with the options the table documents', () => {
    writeFileSync(join(dir, 'doc.delivery'), blocks('delivery')[0]);
    const r = loadPaths([dir]);
    expect(r.errors.map((e) => e.format())).to.deep.equal([]);
    const [spec] = datacenterServices(r.model);
    expect(spec).to.deep.include({ service: 'my-service', name: 'example.com', sticky: false, options: { toleranceKm: 500, answers: 1, whenNoneReady: 'all', spillOver: true } });
    expect(spec.members.map((m) => [m.name, m.weight, m.targets.map((t) => t.address)])).to.deep.equal([
      ['datacenter-1', 10, ['2001:db8:ae21:7700::', '192.0.2.10']],
      ['datacenter-2', 10, ['2001:db8:0478:2800::']],
      ['datacenter-3', 20, ['2001:db8:c001:e400::']],
    ]);
  });

  it('anypick explain prints exactly what the page shows', () => {
    writeFileSync(join(dir, 'doc.delivery'), blocks('delivery')[0]);
    const [cmd, ...out] = blocks('console')[0].trimEnd().split('\n');
    const args = cmd.replace(/^\$ anypick /, '').split(' ').map((a) => (a === 'zones' ? dir : a));
    const stdout = execFileSync(process.execPath, [MAIN, ...args, '--geoip-db', SAMPLE_DB], { encoding: 'utf8' });
    expect(stdout.trimEnd()).to.equal(out.join('\n'));
  });
});
