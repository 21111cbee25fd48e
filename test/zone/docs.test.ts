import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseZone } from '../../src/zone';
import { errorsOf } from './helpers';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'zone-files.md');

/** The fenced blocks of the page, in order, with their info strings. */
function blocks(): { info: string; body: string; line: number }[] {
  const text = readFileSync(DOC, 'utf8');
  const out: { info: string; body: string; line: number }[] = [];
  for (const m of text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    out.push({ info: (m[1] as string).trim(), body: m[2] as string, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

describe('docs/zone-files.md examples', () => {
  const all = blocks();
  const zones = all.filter((b) => b.info.startsWith('zone'));
  const base = all.find((b) => b.info === 'zone');

  it('has complete, fragment and broken examples', () => {
    expect(base, 'a complete zone block').to.not.equal(undefined);
    expect(zones.filter((b) => b.info === 'zone fragment').length).to.be.at.least(4);
    expect(zones.filter((b) => b.info === 'zone broken').length).to.be.at.least(1);
  });

  all.forEach((b, i) => {
    if (b.info === 'zone') {
      it(`line ${b.line}: the zone loads`, () => {
        expect(parseZone(b.body, { file: 'example.com.zone' }).records.length).to.be.greaterThan(1);
      });
    } else if (b.info === 'zone fragment') {
      it(`line ${b.line}: the fragment loads after the first zone`, () => {
        const z = parseZone((base?.body ?? '') + b.body, { file: 'example.com.zone' });
        const own = z.records.filter((r) => r.pos.line > (base?.body ?? '').split('\n').length - 1);
        expect(own.length).to.be.greaterThan(0);
      });
    } else if (b.info === 'zone warnings') {
      it(`line ${b.line}: the zone loads with exactly the warnings shown (as check prints them)`, () => {
        const expected = all[i + 1];
        expect(expected?.info, 'a text block after the zone').to.equal('text');
        const z = parseZone(b.body, { file: 'example.com.zone' });
        const shown = (z.warnings ?? []).map((w) => `${w.pos.file}:${w.pos.line}:${w.pos.col}: warning: ${w.message}`);
        expect(shown).to.deep.equal((expected?.body ?? '').trim().split('\n'));
      });
    } else if (b.info === 'zone broken') {
      it(`line ${b.line}: the broken zone gives exactly the errors shown`, () => {
        const expected = all[i + 1];
        expect(expected?.info, 'a text block after the broken zone').to.equal('text');
        const shown = (expected?.body ?? '').trim().split('\n');
        expect(errorsOf(() => parseZone(b.body, { file: 'example.com.zone' }))).to.deep.equal(shown);
      });
    }
  });
});
