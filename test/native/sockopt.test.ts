import { expect } from 'chai';
import type { AddressInfo, Socket } from 'node:net';
import { requireAddon } from '../support/tools';
import { connectPeer, listenPeers, md5Failures } from '../../src/bgp/transport';

/** Connects with `key` and resolves to 'connected' or 'timeout'. */
function attempt(port: number, key: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = connectPeer({ address: '127.0.0.1', port, localAddress: '127.0.0.2', md5Key: Buffer.from(key), ttlSecurity: true });
    s.on('error', () => undefined);
    s.setTimeout(ms, () => { s.destroy(); resolve('timeout'); });
    s.once('connect', () => { s.destroy(); resolve('connected'); });
  });
}

describe('native anypick_sockopt: TCP-MD5 and GTSM on loopback', function () {
  this.timeout(10000);
  before(function () {
    requireAddon(this, 'anypick_sockopt');
  });

  it('the right key connects; a wrong key is dropped by the kernel (and counted as TCPMD5Failure)', async () => {
    const accepted: Socket[] = [];
    const { server, listen } = listenPeers('127.0.0.1', 0, [{ address: '127.0.0.2', md5Key: Buffer.from('right-key'), ttlSecurity: true }], (s) => accepted.push(s));
    await new Promise<void>((r) => listen(r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await attempt(port, 'right-key')).to.equal('connected');
      const before = md5Failures();
      expect(await attempt(port, 'wrong-key')).to.equal('timeout');
      if (before !== undefined) expect(md5Failures()).to.be.greaterThan(before);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
