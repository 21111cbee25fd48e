import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

function listen(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen({ host, port, exclusive: true }, () => resolve(s));
  });
}

/**
 * A TCP port the kernel chose (bind to port 0 on the first host) that is also free on every
 * other host at the time of the call — for the few tests where two processes must agree on one
 * port before either starts (two BGP speakers, one DNS port on 127.0.0.1 and ::1). Everything
 * that can report its own port binds port 0 itself instead.
 */
export async function freePort(hosts: readonly string[] = ['127.0.0.1']): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listen(hosts[0]!, 0);
    if (!first) throw new Error(`cannot bind ${hosts[0]}:0`);
    const port = (first.address() as AddressInfo).port;
    const rest: Server[] = [];
    let ok = true;
    for (const h of hosts.slice(1)) {
      const s = await listen(h, port);
      if (!s) {
        ok = false;
        break;
      }
      rest.push(s);
    }
    await Promise.all([first, ...rest].map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}
