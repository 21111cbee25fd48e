import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The five seed examples of the delivery language, kept in the repository (examples/seed/). */
export const SEED_DIR = join(REPO_ROOT, 'examples', 'seed');

/** The path of seed example `n` (1..5); throws when it is missing, so a test cannot pass on nothing. */
export function seedExample(n: 1 | 2 | 3 | 4 | 5): string {
  const f = readdirSync(SEED_DIR).find((x) => x.startsWith(`${n}-`) && x.endsWith('.delivery'));
  if (!f) throw new Error(`seed example ${n} missing from ${SEED_DIR}`);
  return join(SEED_DIR, f);
}
