import { expect } from 'chai';
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools } from '../support/tools';
import { SAMPLE_DB, SAMPLE_TSV, buildMmdb, requireMmdbWriter } from '../geo/support';
import { dig, makeDeliveryDir, removeDir, serve } from './support';
import type { Served } from './support';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` passes or the time is up (the server reloads after a debounce). */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await check()) return true;
  return check();
}

describe('gslb: serve reloads --geoip-db when the file changes', function () {
  let dir: string;
  let server: Served | undefined;
  before(async function () {
    requireTools(this, 'dig');
    requireMmdbWriter(this);
    dir = makeDeliveryDir();
    copyFileSync(SAMPLE_DB, join(dir, 'geo.mmdb'));
    server = await serve([dir, '--geoip-db', join(dir, 'geo.mmdb')]);
  });
  after(async () => {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  it('a replacement (by rename) moves clients; a broken one is ignored and the last good stays', async () => {
    const europe = async (): Promise<string[]> => (await dig(server!.port, 'example.com', 'AAAA', { subnet: '10.2.0.0/24', nocookie: true })).addresses;
    // Asked three times: the server keeps the reply by query bytes; the reload must still reach it.
    for (let i = 0; i < 3; i++) expect(await europe()).to.deep.equal(['2001:db8:478:2800::']);
    // Move the 10.2.0.0/16 clients to Tokyo.
    const tsv = readFileSync(SAMPLE_TSV, 'utf8').replace('10.2.0.0/16\t50.1\t8.7\tDE\tEU', '10.2.0.0/16\t35.7\t139.7\tJP\tAS');
    writeFileSync(join(dir, 'moved.tsv'), tsv);
    buildMmdb(join(dir, 'moved.tsv'), join(dir, 'moved.mmdb.tmp'));
    renameSync(join(dir, 'moved.mmdb.tmp'), join(dir, 'geo.mmdb'));
    expect(await eventually(async () => (await europe())[0] === '2001:db8:c001:e400::')).to.equal(true);
    // A broken file: logged, the previous database keeps answering.
    writeFileSync(join(dir, 'broken.tmp'), 'not an mmdb');
    renameSync(join(dir, 'broken.tmp'), join(dir, 'geo.mmdb'));
    expect(await eventually(async () => server!.logs().includes('geo database reload failed; keeping the previous one'))).to.equal(true);
    expect(await europe()).to.deep.equal(['2001:db8:c001:e400::']);
    expect(server!.proc.exitCode).to.equal(null);
  });
});
