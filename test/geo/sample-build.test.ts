import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_SCRIPT, SAMPLE_DB, SAMPLE_TSV, buildMmdb, requireMmdbWriter } from './support';

describe('geo-data/sample.mmdb build', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'anypick-geo-build-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilding from geo-data/sample-networks.tsv reproduces the committed file byte for byte', function () {
    requireMmdbWriter(this);
    const out = join(dir, 'sample.mmdb');
    buildMmdb(SAMPLE_TSV, out);
    expect(readFileSync(out).equals(readFileSync(SAMPLE_DB)), 'geo-data/sample.mmdb is stale: run perl scripts/build-geo-sample.pl').to.equal(true);
  });

  const bad: [string, string, RegExp][] = [
    ['a short row', '# build_epoch: 1\n10.0.0.0/8\t1\t2\tUS\tNA\n', /expected 6 tab-separated columns/],
    ['a bad latitude', '# build_epoch: 1\n10.0.0.0/8\t91\t2\tUS\tNA\tx\n', /:2: bad latitude/],
    ['a bad continent', '# build_epoch: 1\n10.0.0.0/8\t1\t2\tUS\tXX\tx\n', /bad continent/],
    ['no build epoch', '10.0.0.0/8\t1\t2\tUS\tNA\tx\n', /build_epoch/],
  ];
  for (const [what, tsv, err] of bad) {
    it(`rejects a table with ${what}`, function () {
      requireMmdbWriter(this);
      writeFileSync(join(dir, 'in.tsv'), tsv);
      let stderr = '';
      try {
        execFileSync('perl', [BUILD_SCRIPT, join(dir, 'in.tsv'), join(dir, 'out.mmdb')], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        stderr = String((e as { stderr: Buffer }).stderr);
      }
      expect(stderr).to.match(err);
    });
  }
});
