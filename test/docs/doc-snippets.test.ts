import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPaths } from '../../src/config/load';
import { CONFIG_CODES } from '../../src/config/context';
import { commandByName } from '../../src/cli/main';
import { parseCommandArgs } from '../../src/cli/command';

const ROOT = join(__dirname, '..', '..', '..');
const DELIVERY_START = /^(process|list|control|service|delivery) /;

/** Fenced blocks of a doc: info string and text. */
function blocks(doc: string): Array<{ info: string; text: string; line: number }> {
  const md = readFileSync(join(ROOT, 'docs', doc), 'utf8');
  return [...md.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ info: m[1].trim(), text: m[2], line: md.slice(0, m.index).split('\n').length }));
}

/** `anypick …` command lines of a block, continuation lines joined, shell quoting of $VARs undone. */
function commandLines(text: string): string[][] {
  return text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('anypick '))
    .map((l) => l.replace(/"\$\w+"/g, 'value-of-variable').split(/\s+/).slice(1));
}

for (const doc of ['bgp.md', 'cascade.md']) {
  describe(`docs/${doc}: every example is exercised`, () => {
    const all = blocks(doc);
    it('has examples', () => expect(all.length).to.be.greaterThan(2));

    for (const b of all.filter((x) => DELIVERY_START.test(x.text))) {
      it(`the delivery snippet at line ${b.line} loads (only references to names defined elsewhere may be open)`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'anypick-doc-'));
        try {
          writeFileSync(join(dir, 'snippet.delivery'), b.text);
          const r = loadPaths([dir]);
          const hard = r.errors.filter((e) => e.code !== CONFIG_CODES.REF);
          expect(hard.map((e) => e.format())).to.deep.equal([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    for (const b of all) {
      for (const argv of commandLines(b.text)) {
        it(`anypick ${argv.join(' ')} (line ${b.line}) uses a real command and options`, () => {
          const cmd = commandByName(argv[0]);
          expect(cmd, argv[0]).to.not.equal(undefined);
          // A synopsis line ([--opt ARG]) lists options; check each exists rather than parsing it.
          if (argv.some((w) => w.startsWith('['))) {
            for (const o of argv.join(' ').matchAll(/--([a-z-]+)/g)) expect(Object.keys(cmd!.options), `--${o[1]}`).to.include(o[1]);
          } else expect(() => parseCommandArgs(cmd!, argv.slice(1))).to.not.throw();
        });
      }
    }

    for (const b of all.filter((x) => x.info === 'json')) {
      it(`the JSON example at line ${b.line} is valid JSON`, () => expect(() => JSON.parse(b.text)).to.not.throw());
    }
  });
}
