import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CheckSpecError, commandErrors, commandUtilization, parseCheck } from '../../src/signals/probe';

describe('signals/probe: local checks of anypick report', () => {
  for (const bad of ['ping:host', 'tcp:host', 'tcp:host:0', 'tcp:host:70000', 'exec:', 'http://', 'ftp://x']) {
    it(`rejects --check ${bad}`, () => expect(() => parseCheck(bad)).to.throw(CheckSpecError));
  }

  it('exec: exit status 0 is ready, anything else is not', async () => {
    expect(await parseCheck('exec:true')(1000)).to.equal(true);
    expect(await parseCheck('exec:false')(1000)).to.equal(false);
    expect(await parseCheck('exec:sleep 2')(100)).to.equal(false);
  });

  it('http: 2xx is ready; 503 and a closed port are not', async () => {
    let status = 200;
    const server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    try {
      expect(await parseCheck(url)(1000)).to.equal(true);
      status = 503;
      expect(await parseCheck(url)(1000)).to.equal(false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(await parseCheck(url)(1000)).to.equal(false);
    expect(await parseCheck(url.replace('http://127.0.0.1', 'tcp:127.0.0.1').replace('/healthz', ''))(1000)).to.equal(false);
  });

  const util: Array<[string, number | undefined]> = [['echo 0.25', 0.25], ['echo 0.5 extra', 0.5], ['echo 1.5', undefined], ['echo busy', undefined], ['false', undefined]];
  for (const [cmd, want] of util) {
    it(`utilization from '${cmd}' → ${want}`, async () => expect(await commandUtilization(cmd, 1000)).to.equal(want));
  }

  const errs: Array<[string, object | undefined]> = [
    ['echo 3 100', { count: 3, total: 100 }], ['echo 0.2', { ratio: 0.2 }], ['echo 5 4', undefined], ['echo 1 0', undefined], ['echo -1 4', undefined], ['exit 1', undefined],
  ];
  for (const [cmd, want] of errs) {
    it(`errors from '${cmd}' → ${JSON.stringify(want)}`, async () => expect(await commandErrors(cmd, 1000)).to.deep.equal(want));
  }
});
