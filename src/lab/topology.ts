/**
 * The anycast lab topology: one router running BIRD 2, three anycast DNS nodes announcing the
 * same prefix, one client routed through the router. The same addresses are used by
 * docker-compose.yml (a test keeps them in step).
 */

/** One anycast DNS node of the lab. */
export interface LabNode {
  name: string;
  /** The node's address on its link to the router (the BGP local-address). */
  address: string;
  /** The router's address on that link (the BGP neighbor). */
  routerAddress: string;
  /** The node's BGP config (process dns + process announce-routes), relative to the repo. */
  config: string;
}

export interface LabTopology {
  /** The anycast DNS address every node serves, announced as a /128. */
  anycast: string;
  routerAsn: number;
  nodeAsn: number;
  nodes: LabNode[];
  client: { address: string; routerAddress: string };
  /** Prefix length of every link network. */
  linkPrefix: number;
}

/** The lab as built by `npm run lab` and mirrored by docker-compose.yml. */
export const LAB: LabTopology = {
  anycast: '2001:db8::53',
  routerAsn: 65536,
  nodeAsn: 64511,
  linkPrefix: 64,
  nodes: [1, 2, 3].map((i) => ({
    name: `dns${i}`,
    address: `2001:db8:ffff:${i}::2`,
    routerAddress: `2001:db8:ffff:${i}::1`,
    config: `lab/dns${i}/anycast-dns.delivery`,
  })),
  client: { address: '2001:db8:fffe::2', routerAddress: '2001:db8:fffe::1' },
};
