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
