import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPaths } from '../../src/config/load';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'delivery-language.md');

interface Block {
  lang: string;
  text: string;
  line: number;
}

/** Fenced code blocks of the doc with their info string and starting line. */
function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```([\w-]*)\n([\s\S]*?)^```$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(md)) !== null) out.push({ lang: m[1], text: m[2], line: md.slice(0, m.index).split('\n').length });
  return out;
}

describe('config: every example in docs/delivery-language.md loads', () => {
  const all = blocks(readFileSync(DOC, 'utf8'));
  const valid = all.filter((b) => b.lang === 'delivery');
  const invalid = all.filter((b) => b.lang === 'delivery-invalid');
  let root = '';

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'anypick-doc-'));
    // `# file: NAME` blocks are shared files in the sibling directory bgp/, found via infra.application.
    mkdirSync(join(root, 'bgp'));
    for (const b of valid) {
      const f = /^# file: (\S+)\n/.exec(b.text);
      if (f) writeFileSync(join(root, 'bgp', f[1]), b.text);
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds the examples', () => {
    expect(valid.length).to.be.greaterThanOrEqual(7);
    expect(invalid.length).to.be.greaterThanOrEqual(3);
  });

  for (const b of valid) {
    it(`example at line ${b.line} is valid`, () => {
      const dir = join(root, `ex-${b.line}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'example.delivery'), b.text);
      const r = loadPaths([dir]);
      expect(r.errors.map((e) => e.format())).to.deep.equal([]);
      expect(r.files.length).to.be.greaterThanOrEqual(1);
    });
  }

  for (const b of invalid) {
    it(`invalid example at line ${b.line} gives the error it states`, () => {
      const m = /^# expect: (.*)\n/.exec(b.text);
      expect(m, 'first line must be "# expect: L:C: message"').to.not.equal(null);
      const dir = join(root, `bad-${b.line}`);
      mkdirSync(dir);
      const file = join(dir, 'example.delivery');
      writeFileSync(file, b.text);
      expect(loadPaths([dir]).errors.map((e) => e.format())).to.deep.equal([`${file}:${m?.[1]}`]);
    });
  }
});
