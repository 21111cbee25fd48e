import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceErrors } from '../../src/util/source-error';
import { parseZone } from '../../src/zone';
import { seededRandom } from '../../src/pick/random';

const ZONES_DIR = join(__dirname, '..', '..', '..', 'zones');

/** Deterministic PRNG, so a failure can be replayed from its seed. */
const rng = seededRandom;

const ALPHABET = ['(', ')', '"', ';', '\\', '.', '@', '$', ' ', '\t', '\n', '#', '*', '0', '9', ':', 'A', 'z', '\u00e9', '\r'];

/** Mutates a text: a few characters deleted, inserted or replaced, or a line duplicated. */
function mutate(text: string, rand: () => number): string {
  let s = text;
  const n = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rand() * s.length);
    const op = rand();
    const ch = ALPHABET[Math.floor(rand() * ALPHABET.length)] as string;
    if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1);
    else if (op < 0.6) s = s.slice(0, at) + ch + s.slice(at);
    else if (op < 0.9) s = s.slice(0, at) + ch + s.slice(at + 1);
    else {
      const lines = s.split('\n');
      const i = Math.floor(rand() * lines.length);
      lines.splice(i, 0, lines[i] ?? '');
      s = lines.join('\n');
    }
  }
  return s;
}

describe('zone parser robustness (mutated zone files)', () => {
  const base = readFileSync(join(ZONES_DIR, 'example.com.zone'), 'utf8');
  const inc = readFileSync(join(ZONES_DIR, 'example.com.inc'), 'utf8');

  it('either loads or throws SourceErrors positioned inside the files, for 3000 mutations', () => {
    const rand = rng(20261125);
    let failed = 0;
    for (let i = 0; i < 3000; i++) {
      const text = mutate(base, rand);
      const incText = rand() < 0.3 ? mutate(inc, rand) : inc;
      // Any $INCLUDE (its path may be mutated too) reads the .inc text.
      const lines = (file: string): number => (file === 'z/example.com.zone' ? text : incText).split('\n').length;
      try {
        parseZone(text, { file: 'z/example.com.zone', readInclude: () => incText });
      } catch (err) {
        expect(err, `mutation ${i} threw something else:\n${text}`).to.be.instanceOf(SourceErrors);
        failed++;
        for (const e of (err as SourceErrors).errors) {
          expect(e.pos.line, e.format()).to.be.within(1, lines(e.pos.file));
          expect(e.pos.col, e.format()).to.be.at.least(1);
          expect(e.message, e.format()).to.not.match(/undefined|NaN|\[object/);
        }
      }
    }
    // Most mutations break something; some (in comments, say) do not. Both kinds occurred.
    expect(failed).to.be.within(1, 2999);
  });
});
