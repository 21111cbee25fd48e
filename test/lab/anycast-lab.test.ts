import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab';
import { runFailoverScenario } from '../../src/lab/scenario';
import type { ScenarioResult } from '../../src/lab/scenario';
import { LAB } from '../../src/lab/topology';
import { canUseNetns, requireTools } from '../support/tools';

const root = join(__dirname, '..', '..', '..');

describe('anycast lab (npm run lab): BIRD router, three DNS nodes with BGP sidecars, a client', function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  let result: ScenarioResult;
  const lines: string[] = [];

  before(async function () {
    requireTools(this, 'ip', 'bird', 'birdc', 'dig');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('the lab needs root and iproute2 under CI');
      this.skip();
    }
    lab = new Lab(root, (s) => lines.push(s));
    await lab.start();
    result = await runFailoverScenario(lab, (s) => lines.push(s));
    process.stdout.write(`      ${lines.join('\n      ')}\n`);
  });

  after(() => {
    const id = lab?.id;
    lab?.destroy();
    if (id) {
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      expect(left, 'namespaces left behind').to.not.include(id);
    }
  });

  it('the router learns the anycast prefix from all three nodes', () => {
    expect(result.routesAtStart.sort()).to.deep.equal(LAB.nodes.map((n) => n.name).sort());
  });

  it('killing the answering node’s DNS withdraws its route', () => {
    expect(result.withdrawn).to.equal(true);
  });

  it('the client is then answered by another node', () => {
    expect(result.before).to.equal(result.failed);
    expect(result.after).to.be.a('string').and.not.equal(result.failed);
    expect(result.secondsWithoutAnswers).to.be.finite;
  });

  it('restoring the DNS brings the route back', () => {
    expect(result.restored).to.equal(true);
  });
});

describe('npm run lab: Ctrl-C removes everything it made', function () {
  this.timeout(60_000);

  it('SIGINT during the run leaves no namespace and no process behind', async function () {
    requireTools(this, 'ip', 'bird', 'birdc', 'dig');
    if (!canUseNetns()) {
      if (process.env.CI) throw new Error('the lab needs root and iproute2 under CI');
      this.skip();
    }
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'lab', 'main.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const id = `apl${child.pid! % 100000}`;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Wait until the lab has built its namespaces and BIRD has learned routes.
    const end = Date.now() + 40_000;
    while (!/routes to/.test(out) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(out, out).to.match(/routes to/);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).to.include(id);
    child.kill('SIGINT');
    expect(await exited).to.equal(130);
    expect(out).to.match(/interrupted, cleaned up/);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).to.not.include(id);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps, 'lab processes left').to.not.match(new RegExp(`anypick-lab-|${id}|serve \\S+zones --dns \\[2001:db8::53\\]:53`));
  });
});
