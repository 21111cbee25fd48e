import type { LabTopology } from './topology';

/**
 * The lab router's BIRD 2 configuration: one eBGP session per DNS node, every route learned
 * is exported to the kernel so the client's packets follow BGP's best path.
 */
export function routerBirdConfig(t: LabTopology, routerId = '192.0.2.254'): string {
  const sessions = t.nodes
    .map(
      (n) => `protocol bgp ${n.name} {
  local ${n.routerAddress} as ${t.routerAsn};
  neighbor ${n.address} as ${t.nodeAsn};
  hold time 9;
  connect retry time 1;
  error wait time 1, 4;
  ipv6 { import all; export none; };
  ipv4 { import all; export none; };
}`,
    )
    .join('\n\n');
  return `router id ${routerId};
log stderr all;

protocol device { scan time 1; }

protocol kernel k6 {
  ipv6 { export all; };
  learn;
}

${sessions}
`;
}
