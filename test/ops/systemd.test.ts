import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandByName } from '../../src/cli/main';
import { parseCommandArgs } from '../../src/cli/command';
import { loadBgpConfigs } from '../../src/bgp/load';
import { requireTools } from '../support/tools';
import { docEnvFiles } from './doc-blocks';
import { execArgv, expandSpecifiers, parseEnvironment, parseUnit, values } from './unit-file';
import type { Unit } from './unit-file';

const root = join(__dirname, '..', '..', '..');
const unitDir = join(root, 'deploy', 'systemd');
/** Where the units expect the repository's configuration directories on a node. */
const DEPLOYED = '/etc/anypick/';
/** Sample instance names for template units (`x@.service`), as in the doc's examples. */
const INSTANCE: Record<string, string> = { 'anypick-report@.service': 'datacenter-1', 'anypick-proxy@.service': 'datacenter-2' };
/** What systemd sets itself. */
const SYSTEMD_ENV = { MAINPID: '4242' };

interface UnitCase {
  file: string;
  /** The unit name systemd would run (templates instantiated with INSTANCE). */
  name: string;
  unit: Unit;
}

function loadUnits(): UnitCase[] {
  return readdirSync(unitDir)
    .filter((f) => f.endsWith('.service'))
    .map((file) => {
      if (file.includes('@.') && !INSTANCE[file]) throw new Error(`${file}: give the test a sample instance name`);
      const name = file.replace('@.', `@${INSTANCE[file]}.`);
      return { file, name, unit: parseUnit(expandSpecifiers(readFileSync(join(unitDir, file), 'utf8'), name), file) };
    });
}

/** The environment of a unit with its environment files absent (`empty`) or as the doc shows them. */
function environment(u: UnitCase, withFiles: boolean): Record<string, string> {
  const env: Record<string, string> = { ...SYSTEMD_ENV, ...parseEnvironment(values(u.unit, 'Service', 'Environment')) };
  if (!withFiles) return env;
  const samples = docEnvFiles();
  for (const spec of values(u.unit, 'Service', 'EnvironmentFile')) {
    const path = spec.replace(/^-/, '');
    const sample = samples.get(path);
    if (!sample) {
      // A file the unit cannot start without must be shown in docs/operations.md.
      expect(spec.startsWith('-'), `${u.file}: EnvironmentFile=${path} is required but docs/operations.md shows no sample`).to.equal(true);
      continue;
    }
    Object.assign(env, sample);
  }
  return env;
}

/** argv of every anypick command line (ExecStartPre, ExecStart) of a unit. */
function anypickLines(u: UnitCase, env: Record<string, string>): string[][] {
  const out: string[][] = [];
  for (const key of ['ExecStartPre', 'ExecStart']) {
    for (const line of values(u.unit, 'Service', key)) {
      const argv = execArgv(line, env);
      const i = argv.findIndex((a) => a.endsWith('/dist/src/cli/main.js') || a.endsWith('/anypick'));
      if (i >= 0) out.push(argv.slice(i + 1));
    }
  }
  return out;
}

function seconds(v: string): number {
  const m = /^(\d+)(s|min)?$/.exec(v);
  if (!m) throw new Error(`unsupported time span '${v}'`);
  return Number(m[1]) * (m[2] === 'min' ? 60 : 1);
}

describe('deploy/systemd units', () => {
  const units = loadUnits();

  it('finds the serve, bgp, proxy and report units', () => {
    expect(units.map((u) => u.file).sort()).to.include.members([
      'anypick-bgp.service', 'anypick-proxy@.service', 'anypick-report@.service', 'anypick-serve.service',
    ]);
  });

  for (const u of units) {
    describe(u.file, () => {
      it('has Description, ExecStart, Restart and WantedBy', () => {
        expect(values(u.unit, 'Unit', 'Description')).to.have.lengthOf(1);
        expect(values(u.unit, 'Service', 'ExecStart')).to.have.lengthOf(1);
        expect(values(u.unit, 'Service', 'Restart')[0]).to.be.oneOf(['always', 'on-failure', 'on-abnormal']);
        expect(values(u.unit, 'Install', 'WantedBy')).to.include('multi-user.target');
      });

      for (const withFiles of [false, true]) {
        it(`runs anypick commands and options that exist (environment files ${withFiles ? 'as in the doc' : 'absent'})`, () => {
          const lines = anypickLines(u, environment(u, withFiles));
          expect(lines.length, 'no anypick command line found').to.be.greaterThan(0);
          for (const [sub, ...args] of lines) {
            const cmd = commandByName(sub);
            expect(cmd, `${u.file}: anypick ${sub}`).to.not.equal(undefined);
            expect(() => parseCommandArgs(cmd!, args), `${u.file}: anypick ${sub} ${args.join(' ')}`).to.not.throw();
            // Secrets (tokens, TLS keys and certificates) are deployed per site, never from git.
            for (const p of args.filter((a) => a.startsWith(DEPLOYED) && !/^\/etc\/anypick\/(tokens|tls)\//.test(a))) {
              // /etc/anypick/zones and /etc/anypick/bgp are the repository's zones/ and bgp/.
              expect(existsSync(join(root, p.slice(DEPLOYED.length))), `${u.file}: ${p} has no counterpart in the repository`).to.equal(true);
            }
          }
        });
      }

      it('points Documentation= at docs that exist in the repository', () => {
        const docs = values(u.unit, 'Unit', 'Documentation').join(' ').split(/\s+/).filter((d) => d !== '');
        expect(docs.length).to.be.greaterThan(0);
        for (const d of docs) {
          const m = /^file:\/opt\/anypick\/(.+)$/.exec(d);
          expect(m, `${u.file}: Documentation=${d} is not a file:/opt/anypick/… path`).to.not.equal(null);
          expect(existsSync(join(root, m![1])), `${u.file}: ${d} does not exist in the repository`).to.equal(true);
        }
      });

      it('sends SIGHUP on reload only to a command that reloads on SIGHUP (others would stop)', () => {
        const reload = values(u.unit, 'Service', 'ExecReload').join(' ');
        const [sub] = anypickLines(u, environment(u, false)).at(-1)!;
        const handlesHup = readFileSync(join(root, 'src', 'cli', 'commands', `${sub}.ts`), 'utf8').includes("'SIGHUP'");
        if (/-HUP\b/.test(reload)) expect(handlesHup, `${u.file}: ExecReload sends SIGHUP but 'anypick ${sub}' does not handle it`).to.equal(true);
        else expect(reload, `${u.file}: unexpected ExecReload`).to.equal('');
      });

      it('carries no secret on a command line', () => {
        for (const line of [...values(u.unit, 'Service', 'ExecStart'), ...values(u.unit, 'Service', 'ExecStartPre')]) {
          // `--token T` would put the secret itself on the command line (`--tokens FILE` names a file: fine).
          expect(line).to.not.match(/--token(?:[ =]|$)/);
        }
        expect(values(u.unit, 'Service', 'Environment').join(' ')).to.not.match(/ANYPICK_TOKENS?=\S/);
      });
    });
  }

  it('the reader rejects what it does not know (so the checks above are not vacuous)', () => {
    expect(() => execArgv('/bin/x $(date)', {})).to.throw(/unsupported/);
    expect(() => expandSpecifiers('%Z', 'a@b.service')).to.throw(/specifier/);
    expect(() => parseUnit('Key=1\n', 'x')).to.throw(/before any/);
    expect(execArgv('/bin/x $A ${B}x', { A: 'p  q', B: 'r s' })).to.deep.equal(['/bin/x', 'p', 'q', 'r sx']);
    const report = commandByName('report')!;
    expect(() => parseCommandArgs(report, ['--token-file', '/x'])).to.throw(/Unknown option/);
  });

  it('anypick-bgp is ordered after and part of anypick-serve, so it drains first on stop', () => {
    const bgp = units.find((u) => u.file === 'anypick-bgp.service')!;
    const after = values(bgp.unit, 'Unit', 'After').join(' ').split(/\s+/);
    expect(after).to.include('anypick-serve.service');
    expect(values(bgp.unit, 'Unit', 'PartOf').join(' ').split(/\s+/)).to.include('anypick-serve.service');
    const serve = units.find((u) => u.file === 'anypick-serve.service')!;
    expect(values(serve.unit, 'Unit', 'After').join(' ')).to.not.include('anypick-bgp');
  });

  it('anypick-bgp stops by SIGTERM (drain) and gives the drain time to finish', () => {
    const bgp = units.find((u) => u.file === 'anypick-bgp.service')!;
    expect(values(bgp.unit, 'Service', 'KillSignal')).to.deep.equal(['SIGTERM']);
    const loaded = loadBgpConfigs([join(root, 'bgp')]);
    expect(loaded.errors).to.deep.equal([]);
    expect(loaded.configs.length).to.be.greaterThan(0);
    const longest = Math.max(...loaded.configs.map((c) => c.drainMs)) / 1000;
    expect(seconds(values(bgp.unit, 'Service', 'TimeoutStopSec')[0])).to.be.greaterThan(longest + 5);
  });

  it('systemd-analyze verify accepts every unit', function () {
    requireTools(this, 'systemd-analyze');
    // It also checks that ExecStart's program exists: the units name /usr/bin/node (Debian's node).
    if (!existsSync('/usr/bin/node')) {
      if (process.env.CI) throw new Error('/usr/bin/node missing under CI: the units name it');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'anypick-units-'));
    try {
      for (const u of units) copyFileSync(join(unitDir, u.file), join(dir, u.name));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units.map((u) => join(dir, u.name))], { encoding: 'utf8', cwd: dir });
      expect(r.stderr.trim(), 'systemd-analyze verify').to.equal('');
      expect(r.status).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
