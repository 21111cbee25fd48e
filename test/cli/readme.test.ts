import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandByName, commandNames } from '../../src/cli/main';

const ROOT = join(__dirname, '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Rows of the README's command table: `| \`anypick NAME ARGS…\` | … |`. */
function tableCommands(): Array<{ name: string; options: string[] }> {
  return [...README.matchAll(/^\| `anypick (\w+)([^`]*)` \|/gm)].map((m) => ({
    name: m[1],
    options: [...m[2].matchAll(/--([a-z-]+)/g)].map((o) => o[1]),
  }));
}

describe('README', () => {
  it('lists every command, and every command it lists exists with the options it shows', () => {
    const rows = tableCommands();
    expect(rows.map((r) => r.name).sort()).to.deep.equal([...commandNames()].sort());
    for (const r of rows) {
      const cmd = commandByName(r.name)!;
      for (const o of r.options) expect(Object.keys(cmd.options), `anypick ${r.name} --${o}`).to.include(o);
    }
  });

  it('names only npm scripts that exist', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = [...README.matchAll(/npm (?:run )?([\w:]+)/g)].map((m) => m[1]).filter((s) => s !== 'install');
    expect(named.length).to.be.greaterThan(5);
    for (const s of named) expect(scripts, `npm run ${s}`).to.have.property(s);
  });

  it('the explain example runs and names the Asian datacenter', () => {
    const line = README.split('\n').find((l) => l.startsWith('bin/anypick explain'))!;
    const args = line.split('#')[0].trim().split(/\s+/).slice(1);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/datacenter-3/);
  });

  it('its apt-get list is what .ci/run installs', () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const m = /apt-get install\s+([^)`]+?)`\)/s.exec(README);
    expect(m, 'apt-get line in README').to.not.equal(null);
    for (const pkg of m![1].split(/\s+/).filter(Boolean)) expect(ci, pkg).to.include(pkg);
  });
});
