import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Repository root (tests run from dist/test/…). */
export const ROOT = join(__dirname, '..', '..', '..');
/** The checked-in sample database and its source table. */
export const SAMPLE_DB = join(ROOT, 'geo-data', 'sample.mmdb');
export const SAMPLE_TSV = join(ROOT, 'geo-data', 'sample-networks.tsv');
export const BUILD_SCRIPT = join(ROOT, 'scripts', 'build-geo-sample.pl');

/** True when perl and Debian's libmaxmind-db-writer-perl are installed. */
export function haveMmdbWriter(): boolean {
  try {
    execFileSync('perl', ['-MMaxMind::DB::Writer::Tree', '-e', '1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Like requireTools: skips without the MMDB writer, but fails under CI. */
export function requireMmdbWriter(ctx: Mocha.Context): void {
  if (haveMmdbWriter()) return;
  if (process.env.CI) throw new Error('required perl module MaxMind::DB::Writer::Tree (libmaxmind-db-writer-perl) missing under CI');
  ctx.skip();
}

/** Builds an MMDB from a TSV with the repo's script. */
export function buildMmdb(tsv: string, out: string, layout: 'city' | 'flat' = 'city'): void {
  execFileSync('perl', [BUILD_SCRIPT, '--layout', layout, tsv, out], { stdio: ['ignore', 'ignore', 'pipe'] });
}
