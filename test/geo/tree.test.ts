import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { formatAddress, parseAddress } from '../../src/util/ip';
import { GeoDatabase } from '../../src/geo/database';
import { MmdbTree, MmdbTreeError } from '../../src/geo/tree';
import { seededRandom } from '../../src/pick/random';
import { BUILD_SCRIPT, SAMPLE_DB, SAMPLE_TSV, requireMmdbWriter } from './support';

/** Addresses at the edges of every network of the table, around them, and at random. */
function probes(): string[] {
  const out = ['0.0.0.0', '255.255.255.255', '8.8.8.8', '10.0.0.1', '10.255.255.255', '127.0.0.1', '127.255.255.254'];
  out.push('::', '::1', '::2', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '2001:4860::8888', '::ffff:10.3.0.1', '::ffff:127.0.1.1', '2001:db8::1', '2001:db8:ffff::1');
  for (const line of readFileSync(SAMPLE_TSV, 'utf8').split('\n')) {
    const net = /^([0-9a-f:.]+)\/(\d+)\t/i.exec(line);
    if (!net) continue;
    const b = parseAddress(net[1]);
    const last = Buffer.from(b);
    for (let bit = Number(net[2]); bit < b.length * 8; bit++) last[bit >> 3] |= 0x80 >> (bit & 7);
    out.push(formatAddress(b), formatAddress(last));
    const after = Buffer.from(last);
    for (let i = after.length - 1; i >= 0 && ++after[i] === 0; i--);
    out.push(formatAddress(after));
  }
  const rand = seededRandom(11);
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(rand() * 2 ** 32);
    out.push(`${i % 2 ? 10 : 127}.${(n >>> 16) & 7}.${(n >>> 8) & 255}.${n & 255}`);
    out.push(`2001:db8:${(n & 7).toString(16)}:${((n >>> 3) & 0xffff).toString(16)}::${(n >>> 19).toString(16)}`);
  }
  return out;
}

/** Builds the sample table with the repo's script and tree options. */
function build(dir: string, name: string, args: string[], tsv = SAMPLE_TSV): string {
  const out = join(dir, name);
  execFileSync('perl', [BUILD_SCRIPT, ...args, tsv, out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

describe('geo/tree: lookups from address bytes agree with the reader', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'anypick-tree-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // IPv6 probes go to the IPv4 tree too: both walks must end in the same place.
  const layouts: [string, (ctx: Mocha.Context) => string][] = [
    ['geo-data/sample.mmdb (IPv6 tree, 24-bit records)', () => SAMPLE_DB],
    ['IPv6 tree, 28-bit records', (ctx) => (requireMmdbWriter(ctx), build(dir, 'v6-28.mmdb', ['--record-size', '28']))],
    ['IPv6 tree, 32-bit records, flat layout', (ctx) => (requireMmdbWriter(ctx), build(dir, 'v6-32.mmdb', ['--record-size', '32', '--layout', 'flat']))],
    ['IPv4 tree, 24-bit records', (ctx) => {
      requireMmdbWriter(ctx);
      const tsv = join(dir, 'v4.tsv');
      writeFileSync(tsv, readFileSync(SAMPLE_TSV, 'utf8').split('\n').filter((l) => l.startsWith('#') || !/^[0-9a-f]*:/i.test(l)).join('\n'));
      return build(dir, 'v4-24.mmdb', ['--ip-version', '4'], tsv);
    }],
  ];
  for (const [what, file] of layouts) {
    it(`${what}: network, prefix and facts of every probe`, function () {
      const db = GeoDatabase.open(file(this), { watch: false });
      try {
        let found = 0;
        for (const ip of probes()) {
          const { address: _, ...want } = db.lookup(ip);
          const got = db.lookupBytes(parseAddress(ip));
          expect(got, ip).to.deep.equal(want);
          if (got.found) found++;
        }
        expect(found).to.be.greaterThan(1000);
      } finally {
        db.close();
      }
    });
  }

  it('refuses metadata it cannot walk', () => {
    expect(() => new MmdbTree(new Uint8Array(60), { nodeCount: 10, recordSize: 20, ipVersion: 6 })).to.throw(MmdbTreeError, /record size 20/);
    expect(() => new MmdbTree(new Uint8Array(5), { nodeCount: 10, recordSize: 24, ipVersion: 6 })).to.throw(MmdbTreeError, /runs past the end/);
  });
});
