import { execProbe, httpProbe, tcpProbe } from '../../util/probe';
import type { CheckTarget } from '../config';
import { dnsTcp, dnsUdp } from './dns';

/** Runs one probe of any kind: `dns` here, http/tcp/exec by src/util/probe.ts (its pass rule). */
export async function probe(t: CheckTarget, timeoutMs: number): Promise<void> {
  switch (t.kind) {
    case 'dns':
      await dnsUdp(t, timeoutMs);
      if (t.tcp) await dnsTcp(t, timeoutMs);
      return;
    case 'http': return httpProbe(t.url, timeoutMs);
    case 'tcp': return tcpProbe(t.host, t.port, timeoutMs);
    case 'exec': return execProbe(t.command, timeoutMs);
  }
}
