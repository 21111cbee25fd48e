/**
 * Every folder under src/ has a README.md, the top-level README points at each, and the
 * examples in them run (as CoreDNS's test/readme_test.go does for its plugins):
 *
 * - a ```sh block: each `$ anypick ARGS` line runs `anypick ARGS` in the repository root; the
 *   lines after it, up to the next `$` line, are its exact stdout (exit status 0).
 * - a ```js block: `import { a, b } from './file'` lines bind exports of the folder's modules
 *   (paths relative to the README, from the built tree); every other line is plain JavaScript
 *   run in order inside one async function. `EXPR // → VALUE` asserts EXPR deep-equals VALUE
 *   (awaited); `EXPR // throws NAME: TEXT` asserts EXPR throws an error of that name whose
 *   message contains TEXT.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');
const DIST_SRC = join(ROOT, 'dist', 'src');
const MAIN = join(DIST_SRC, 'cli', 'main.js');

const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

interface Block { info: string; text: string; line: number }

function blocks(md: string): Block[] {
  return [...md.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ info: m[1]!.trim(), text: m[2]!, line: md.slice(0, m.index).split('\n').length }));
}

/** `$ anypick …` commands of a sh block with the output written under each. */
function shellExamples(text: string): Array<{ argv: string[]; out: string }> {
  const out: Array<{ argv: string[]; out: string }> = [];
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const cmd = /^\$ anypick (.*)$/.exec(line);
    if (cmd) out.push({ argv: cmd[1]!.trim().split(/\s+/), out: '' });
    else if (out.length > 0) out[out.length - 1]!.out += line + '\n';
  }
  return out;
}

/** Turns a js block into the body of an async function; returns it and the bindings it imports. */
function jsExample(folder: string, text: string): { body: string; names: string[]; values: unknown[] } {
  const names: string[] = [];
  const values: unknown[] = [];
  const lines: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const imp = /^import \{ ([^}]+) \} from '([^']+)';$/.exec(line.trim());
    if (imp) {
      const mod = require(join(DIST_SRC, folder, `${imp[2]!}.js`)) as Record<string, unknown>;
      for (const n of imp[1]!.split(',').map((s) => s.trim())) {
        expect(mod[n], `${imp[2]}: no export ${n}`).to.not.equal(undefined);
        names.push(n);
        values.push(mod[n]);
      }
      continue;
    }
    const is = /^(.*?);?\s*\/\/ → (.*)$/.exec(line);
    const throws = /^(.*?);?\s*\/\/ throws (\w+): (.*)$/.exec(line);
    if (is) lines.push(`__is(${i + 1}, await (${is[1]}), (${is[2]}));`);
    else if (throws) lines.push(`await __throws(${i + 1}, async () => (${throws[1]}), ${JSON.stringify(throws[2])}, ${JSON.stringify(throws[3])});`);
    else lines.push(line);
  }
  return { body: lines.join('\n'), names, values };
}

describe('folder READMEs: one per folder of src/, examples run', () => {
  it('finds the folders', () => expect(folders).to.include.members(['cli', 'config', 'dns', 'util']));

  it('the top-level README\'s layout section links every folder README', () => {
    const top = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = top.split(/^## /m).find((s) => s.startsWith('Layout')) ?? '';
    expect(layout, 'README.md has a "## Layout" section').to.not.equal('');
    for (const f of folders) expect(layout, `README.md layout links src/${f}/README.md`).to.include(`(src/${f}/README.md)`);
  });

  for (const folder of folders) {
    describe(`src/${folder}/README.md`, () => {
      const file = join(SRC, folder, 'README.md');
      const md = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const runnable = blocks(md).filter((b) => b.info === 'sh' || b.info === 'js');

      it('exists, with at least one example that runs', () => {
        expect(existsSync(file), `${file} is missing`).to.equal(true);
        expect(runnable.length, 'no ```sh or ```js example').to.be.greaterThan(0);
      });

      for (const b of runnable.filter((x) => x.info === 'sh')) {
        for (const ex of shellExamples(b.text)) {
          it(`line ${b.line}: anypick ${ex.argv.join(' ')}`, function () {
            this.timeout(30_000);
            const r = spawnSync(process.execPath, [MAIN, ...ex.argv], { cwd: ROOT, encoding: 'utf8', timeout: 25_000 });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.stdout).to.equal(ex.out);
          });
        }
      }

      for (const b of runnable.filter((x) => x.info === 'js')) {
        it(`line ${b.line}: the js example`, async function () {
          this.timeout(30_000);
          const { body, names, values } = jsExample(folder, b.text);
          let checks = 0;
          const at = (n: number): string => `src/${folder}/README.md line ${b.line + n}`;
          const is = (n: number, got: unknown, want: unknown): void => {
            checks++;
            expect(got, at(n)).to.deep.equal(want);
          };
          const throws = async (n: number, fn: () => Promise<unknown>, name: string, text: string): Promise<void> => {
            checks++;
            const err = await fn().then(() => undefined, (e: unknown) => e as Error);
            expect(err, `${at(n)}: expected ${name}`).to.be.instanceOf(Error);
            expect(err!.name, at(n)).to.equal(name);
            expect(err!.message, at(n)).to.include(text);
          };
          const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
          const run = new AsyncFunction('__is', '__throws', 'require', ...names, body);
          const cwd = process.cwd();
          process.chdir(ROOT);
          try {
            await run(is, throws, require, ...values);
          } finally {
            process.chdir(cwd);
          }
          expect(checks, 'the example asserts something (// → or // throws)').to.be.greaterThan(0);
        });
      }
    });
  }
});
