import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { commandByName } from '../../src/cli/main';
import { parseCommandArgs } from '../../src/cli/command';
import { TokenStore } from '../../src/signals/tokens';
import { loadBgpConfigs } from '../../src/bgp/load';
import { OPERATIONS_DOC, anypickCommands, docBlocks, docEnvFiles } from './doc-blocks';
import type { DocCommand } from './doc-blocks';
import { splitWords } from './unit-file';

const root = join(__dirname, '..', '..', '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');

interface CiJob {
  steps: Array<{ name?: string; run?: string; uses?: string }>;
}

function ciJob(): CiJob {
  const b = docBlocks().find((x) => x.info[0] === 'yaml' && x.info[1] === 'ci');
  expect(b, 'docs/operations.md has no ```yaml ci block').to.not.equal(undefined);
  const doc = parse(b!.text) as { jobs: Record<string, CiJob> };
  return Object.values(doc.jobs)[0];
}

/** Every anypick command line of the doc: shell blocks and the CI job's run steps. */
function allCommands(): DocCommand[] {
  const out: DocCommand[] = [];
  for (const b of docBlocks()) {
    if (b.info[0] === 'sh') out.push(...anypickCommands(b.text, `docs/operations.md:${b.line}`));
  }
  // Inline code in the prose: `anypick report --tier datacenter`, `anypick serve --help`…
  const prose = readFileSync(OPERATIONS_DOC, 'utf8').replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
  for (const m of prose.matchAll(/`(anypick [^`]+)`/g)) out.push(...anypickCommands(m[1], `docs/operations.md inline \`${m[1]}\``));
  for (const step of ciJob().steps) {
    if (step.run) out.push(...anypickCommands(step.run.replace(/"\$RUNNER_TEMP\/anypick\/bin\/anypick"/g, 'anypick'), `CI step ${step.name}`));
  }
  return out;
}

describe('docs/operations.md examples', () => {
  it('finds the shell examples and their anypick command lines', () => {
    const cmds = allCommands();
    expect(cmds.length).to.be.greaterThanOrEqual(3);
    expect(cmds.filter((c) => c.where.includes('inline')).length, 'inline commands').to.be.greaterThanOrEqual(3);
    expect(cmds.map((c) => c.argv[0])).to.include.members(['check', 'explain']);
  });

  it('every anypick command line uses a subcommand and options that exist', () => {
    for (const c of allCommands()) {
      const [sub, ...args] = c.argv;
      const cmd = commandByName(sub);
      expect(cmd, `${c.where}: anypick ${sub}`).to.not.equal(undefined);
      expect(() => parseCommandArgs(cmd!, args), `${c.where}: anypick ${c.argv.join(' ')}`).to.not.throw();
    }
  });

  it('the command line reader finds commands after assignments and in chains (and rejects bad ones)', () => {
    const found = anypickCommands('X=1 anypick check a \\\n  --json && anypick nope --x # anypick no\n', 'test');
    expect(found.map((c) => c.argv)).to.deep.equal([['check', 'a', '--json'], ['nope', '--x']]);
    expect(commandByName('nope')).to.equal(undefined);
    expect(() => parseCommandArgs(commandByName('serve')!, ['--tokenz', 'x'])).to.throw();
  });

  it('the CI job runs anypick check, and that check passes on the repository zones/ and bgp/', function () {
    this.timeout(30000);
    const checks = ciJob().steps.flatMap((s) => (s.run ? anypickCommands(s.run.replace(/"\$RUNNER_TEMP\/anypick\/bin\/anypick"/g, 'anypick'), 'CI') : []))
      .filter((c) => c.argv[0] === 'check');
    expect(checks).to.have.lengthOf(1);
    const r = spawnSync(process.execPath, [main, ...checks[0].argv], { cwd: root, encoding: 'utf8' });
    expect(r.stderr.split('\n').filter((l) => /: error|^anypick/.test(l))).to.deep.equal([]);
    expect(r.status, r.stderr).to.equal(0);
  });

  it('docker-compose.yml stops each sidecar before its DNS node, within the stop grace period', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { depends_on?: string[] | Record<string, unknown>; command?: string[]; stop_grace_period?: string }>;
    };
    const sidecars = Object.entries(compose.services).filter(([, svc]) => svc.command?.[0] === 'bgp');
    expect(sidecars.length).to.be.greaterThanOrEqual(3);
    for (const [name, svc] of sidecars) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      expect(deps, `${name} must depend on its DNS node`).to.include(name.replace(/-bgp$/, ''));
      // Compose's default grace is 10 s; the longest drain in the configs a sidecar loads must fit.
      const grace = svc.stop_grace_period ? Number(/^(\d+)s$/.exec(svc.stop_grace_period)?.[1]) : 10;
      const loaded = loadBgpConfigs(svc.command!.slice(1).filter((a) => !a.startsWith('-')).map((p) => join(root, p)));
      expect(loaded.errors).to.deep.equal([]);
      for (const c of loaded.configs) expect(c.drainMs / 1000, `${name}: drain vs stop grace period`).to.be.lessThan(grace);
    }
  });

  it('the environment files parse; the report sample gives report what it requires', () => {
    const files = docEnvFiles();
    expect([...files.keys()]).to.include.members([
      '/etc/default/anypick-report-datacenter-1', '/etc/default/anypick-proxy-datacenter-2',
      '/etc/anypick/tokens/serve.env', '/etc/anypick/tokens/report-datacenter-1.env', '/etc/anypick/tokens/proxy-datacenter-2.env',
    ]);
    const report = commandByName('report')!;
    const args = ['--member', 'datacenter-1', ...splitWords(files.get('/etc/default/anypick-report-datacenter-1')!.REPORT_ARGS)];
    const { values } = parseCommandArgs(report, args);
    expect(values.tier).to.equal('datacenter');
    expect(values.service).to.be.a('string');
    expect(values.endpoint).to.have.length.greaterThan(1);
  });

  it('the tokens file and ANYPICK_TOKENS samples parse to the same bindings, and the agent token is bound to its member', () => {
    const fileBlock = docBlocks().find((b) => b.info[0] === 'text' && b.info[1] === 'tokens');
    expect(fileBlock).to.not.equal(undefined);
    const fromFile = TokenStore.parse(fileBlock!.text, 'docs/operations.md');
    const env = docEnvFiles();
    const fromEnv = TokenStore.load(undefined, { ANYPICK_TOKENS: env.get('/etc/anypick/tokens/serve.env')!.ANYPICK_TOKENS })!;
    expect(fromEnv.size).to.equal(fromFile.size).and.to.be.greaterThan(1);
    const agentToken = env.get('/etc/anypick/tokens/report-datacenter-1.env')!.ANYPICK_TOKEN;
    expect(fromEnv.lookup(agentToken)).to.deep.include({ tier: 'datacenter', member: 'datacenter-1' });
    expect(fromFile.lookup(agentToken)).to.deep.equal(fromEnv.lookup(agentToken));
    expect(fromEnv.lookup('0'.repeat(32))).to.equal(undefined);
    // The cluster pick of datacenter-2 publishes datacenter-2 (its one publisher) and takes its clusters' tokens.
    const proxyEnv = env.get('/etc/anypick/tokens/proxy-datacenter-2.env')!;
    expect(fromEnv.lookup(proxyEnv.ANYPICK_TOKEN)).to.deep.include({ tier: 'datacenter', member: 'datacenter-2' });
    const below = TokenStore.load(undefined, { ANYPICK_TOKENS: proxyEnv.ANYPICK_TOKENS })!;
    expect(below.size).to.be.greaterThan(0);
    const proxyArgs = parseCommandArgs(commandByName('proxy')!, splitWords(env.get('/etc/default/anypick-proxy-datacenter-2')!.PROXY_ARGS)).values;
    expect(proxyArgs['report-to']).to.have.length.greaterThan(0);
    expect(proxyArgs.signals).to.be.a('string');
  });
});
