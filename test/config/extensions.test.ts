import { expect } from 'chai';
import { loadTree } from './helpers';
import { dnsServices } from '../../src/config/walk';

const HEAD = `delivery d
  publish:
    presence @availability as otel.event
  subscribe:
    presence @availability to membership
`;

describe('config: optional extensions', () => {
  it('member location on the line or on a child line; repeated names add targets', () => {
    const { result, errors } = loadTree({ 'a.delivery': `service s:
  listen "https://example.com"
  next-hop-members:
    dc-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56" location 37.4,-122.1
    dc-1 10 dyn "example.com A IN 60 192.0.2.10/24"
    dc-2 5 static 2001:db8:478:2800::/56
      location: 50.1, 8.7
` });
    expect(errors).to.deep.equal([]);
    const m = result.model.services[0].members;
    if (m?.kind !== 'static') throw new Error('static expected');
    expect(m.members.map((x) => [x.name, x.weight, x.dynamic, x.location, x.targets.map((t) => [t.record?.type, t.record?.ttl, t.block.address])])).to.deep.equal([
      ['dc-1', 10, true, { lat: 37.4, lon: -122.1 }, [['AAAA', 90, '2001:db8:ae21:7700::'], ['A', 60, '192.0.2.10']]],
      ['dc-2', 5, false, { lat: 50.1, lon: 8.7 }, [[undefined, undefined, '2001:db8:478:2800::']]],
    ]);
  });

  it('warns about a datacenter pick without listen', () => {
    const { errors, warnings } = loadTree({ 'a.delivery': `${HEAD}  datacenter-pick-service s:\n    next-hop-strategy:\n      dynamic: internet-location-then-dynamic-weight\n    next-hop-members:\n      dynamic: membership.s.datacenter\n` });
    expect(errors).to.deep.equal([]);
    expect(warnings).to.deep.equal(["a.delivery:6:27: datacenter-pick-service 's' has no 'listen': the DNS tier answers for no name"]);
  });

  it('DNS tier: datacenter picks, record members, or block members on a whole host', () => {
    const svc = (name: string, listen: string, target: string): string =>
      `service ${name}:\n  listen "${listen}"\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n  next-hop-members:\n    m 1 dyn ${target}\n`;
    const { result, errors } = loadTree({ 'a.delivery': [
      svc('records', 'https://a.example', '"a.example AAAA IN 60 2001:db8::/64"'),
      svc('host-blocks', 'https://b.example', '2001:db8:1::/64'),
      svc('path-blocks', 'https://b.example/api/', '2001:db8:2::/64'),
    ].join('') });
    expect(errors).to.deep.equal([]);
    expect(dnsServices(result.model).map((p) => p.service.name)).to.deep.equal(['records', 'host-blocks']);
  });

  it('strategy options', () => {
    const { result, errors } = loadTree({ 'a.delivery': `service s:
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
    tolerance: 250.5km
    answers: 2
    when-none-ready: all
    sticky: client-subnet
    ttl: 30
  next-hop-members:
    c-1 1 dyn 2001:db8::/64
` });
    expect(errors).to.deep.equal([]);
    expect(result.model.services[0].strategy).to.deep.include({ name: 'internet-location-then-dynamic-weight', dynamic: true, toleranceKm: 250.5, answers: 2, whenNoneReady: 'all', sticky: 'client-subnet', ttl: 30 });
  });

  it('channels, lease, report interval, section location and block', () => {
    const { result, errors } = loadTree({ 'a.delivery': `${HEAD}  channel @availability: endpoint "http://127.0.0.1:4318"
  channel @availability:
    endpoint "http://[::1]:4318"
  lease: 3s
  report-interval: 500ms
  datacenter-pick-service s:
    next-hop-members:
      dynamic: membership.s.datacenter
    dc-1
      location: 35.7,139.7
      block: 203.0.113.0/24
` });
    expect(errors).to.deep.equal([]);
    const d = result.model.deliveries[0];
    expect(d.channels.map((c) => [c.name, c.endpoints.map((e) => `${e.host}:${e.port}`)])).to.deep.equal([['availability', ['127.0.0.1:4318', '::1:4318']]]);
    expect([d.leaseMs, d.reportIntervalMs]).to.deep.equal([3000, 500]);
    expect(d.datacenters[0]).to.deep.include({ name: 'dc-1', location: { lat: 35.7, lon: 139.7 } });
    expect(d.datacenters[0].block?.network).to.equal('203.0.113.0/24');
  });

  it('BGP options and check kinds', () => {
    const { result, errors } = loadTree({ 'a.delivery': `process p:
  web:
    check: http "http://127.0.0.1:8080/healthz"
  port:
    check: tcp [::1]:53
  script:
    check: exec "/usr/local/bin/ok --quiet"
  dns:
    check: dns
    tcp: yes
    query: example.com AAAA
  routes neighbor 192.0.2.1
    local-asn 4200000000;
    peer-asn 65000;
    port 1179;
    hold-time 0;
    passive;
    router-id 192.0.2.53;
    community 65000:1;
    community 65000:2;
    med 100;
  prefix: 192.0.2.0/24
  prefix: 2001:db8::/32
  bgp: p.dns
` });
    expect(errors).to.deep.equal([]);
    const p = result.model.processes[0];
    expect(p.checks.map((c) => [c.name, c.kind, c.target ?? null])).to.deep.equal([
      ['web', 'http', 'http://127.0.0.1:8080/healthz'], ['port', 'tcp', '[::1]:53'], ['script', 'exec', '/usr/local/bin/ok --quiet'], ['dns', 'dns', null]]);
    expect(p.checks[3]).to.deep.include({ tcp: true, query: { name: 'example.com', type: 'AAAA', pos: p.checks[3].query?.pos } });
    expect(p.neighbors[0]).to.deep.include({ localAsn: 4200000000, peerAsn: 65000, port: 1179, holdTime: 0, passive: true, routerId: '192.0.2.53', communities: [65000 * 65536 + 1, 65000 * 65536 + 2], med: 100 });
    expect(p.prefixes.map((x) => x.network)).to.deep.equal(['192.0.2.0/24', '2001:db8::/32']);
  });

  it('list entries: requires, thresholds and static members', () => {
    const { result, errors } = loadTree({ 'a.delivery': `list l:
  front:
    requires: back cache
    threshold: 3 ready
    members:
      f-1 127.0.0.1:8080
      f-2 [::1]:8080 weight 3
  back:
    priority: 5
    threshold: 50%
  cache:
    weight: 0
` });
    expect(errors).to.deep.equal([]);
    const [front, back] = result.model.lists[0].entries;
    expect(front.requires.map((r) => [r.name, r.resolved?.kind])).to.deep.equal([['back', 'list-entry'], ['cache', 'list-entry']]);
    expect(front.threshold).to.deep.include({ kind: 'count', ready: 3 });
    expect(back.threshold).to.deep.include({ kind: 'percent', percent: 50 });
    expect(front.members?.kind === 'static' && front.members.endpoints.map((e) => [e.host, e.family, e.port, e.weight])).to.deep.equal([['127.0.0.1', 4, 8080, 1], ['::1', 6, 8080, 3]]);
  });

  it('infra.application looks in the same directory and in ../bgp only', () => {
    const app = 'process dns:\n  listen: 2001:db8::53\n';
    const ref = 'delivery d\n  anycast-dns: infra.application.anycast-dns\n';
    expect(loadTree({ 'zones/d.delivery': ref, 'bgp/7-anycast-dns.delivery': app }, ['zones']).errors).to.deep.equal([]);
    expect(loadTree({ 'zones/d.delivery': ref, 'zones/anycast-dns.delivery': app }, ['zones/d.delivery']).errors).to.deep.equal([]);
    expect(loadTree({ 'zones/d.delivery': ref, 'other/anycast-dns.delivery': app }, ['zones']).errors).to.deep.equal([
      "zones/d.delivery:2:16: unresolved reference 'infra.application.anycast-dns': no loaded file 'anycast-dns.delivery' (or 'NN-anycast-dns.delivery') defines processes"]);
  });

  const BAD: [string, string, string[]][] = [
    ['report interval not shorter than lease', `${HEAD}  lease: 1s\n  report-interval: 1s\n`,
      ["a.delivery:1:10: report-interval (1000ms) must be shorter than lease (1000ms), or members expire between reports"]],
    ['channel endpoint not http', `${HEAD}  channel @availability: endpoint "grpc://127.0.0.1:4317"\n`,
      ["a.delivery:6:35: OTLP endpoint must be http:// or https://, got 'grpc://127.0.0.1:4317'"]],
    ['unknown when-none-ready', 'list l:\n  e:\n    weight: 1\nservice s:\n  next-hop: list.l\n  next-hop-strategy:\n    priority-then-weight\n    when-none-ready: any\n',
      ["a.delivery:8:22: bad when-none-ready 'any' (expected one of: all, nearest, none)"]],
    ['unknown spill-over', 'service s:\n  listen "https://example.com"\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n    spill-over: maybe\n  next-hop-members:\n    a 1 dyn 2001:db8::/64\n',
      ["a.delivery:5:17: bad spill-over 'maybe' (expected one of: on, off)"]],
    ['unknown check kind', 'process p:\n  c:\n    check: icmp\n',
      ["a.delivery:3:12: unknown check 'icmp' (expected one of: dns, http URL, tcp ADDR:PORT, exec \"COMMAND\")"]],
    ['tcp check without brackets', 'process p:\n  c:\n    check: tcp ::1:53\n',
      ["a.delivery:3:16: bad tcp check target '::1:53' (expected ADDR:PORT or [IPv6]:PORT)"]],
    ['bad community', 'process p:\n  routes neighbor 192.0.2.1\n    local-asn 1;\n    peer-asn 2;\n    community 70000:1;\n',
      ["a.delivery:5:15: bad community '70000:1' (expected A:B, each 0..65535)"]],
    ['router id not IPv4', 'process p:\n  routes neighbor 192.0.2.1\n    local-asn 1;\n    peer-asn 2;\n    router-id 2001:db8::1;\n',
      ["a.delivery:5:15: router-id must be an IPv4 address (A.B.C.D), got '2001:db8::1'"]],
    ['channel without endpoints', `${HEAD}  channel @availability:\n`,
      ["a.delivery:6:11: channel @availability needs at least one 'endpoint \"URL\"'"]],
    ['static endpoint without port', 'list l:\n  e:\n    members:\n      m-1 127.0.0.1\n',
      ["a.delivery:4:11: bad endpoint '127.0.0.1' (expected ADDR:PORT or [IPv6]:PORT)"]],
    ['repeated member with another weight', 'service s:\n  next-hop-members:\n    a 1 dyn 2001:db8::/64\n    a 2 dyn 192.0.2.0/24\n',
      ['a.delivery:4:7: member \'a\' repeated with a different weight or mode than at a.delivery:3:5']],
    ['misspelt key in a datacenter pick', `${HEAD}  datacenter-pick-service s:\n    next-hop-member:\n      x 1 dyn 2001:db8::/64\n`,
      ["a.delivery:7:5: unknown keyword 'next-hop-member' in 'datacenter-pick-service' (expected one of: listen, admit, next-hop, next-hop-strategy, next-hop-members, a datacenter section NAME (no colon))"]],
    ['unknown key in a cluster section', `${HEAD}  datacenter-pick-service s:\n    dc-1\n      cluster-pick-service:\n        c-1\n          servce-pick-service:\n            next-hop: list.x\n`,
      ["a.delivery:10:11: unknown keyword 'servce-pick-service' in 'cluster section' (expected one of: service-pick-service, location, block)"]],
  ];
  for (const [name, src, errors] of BAD) {
    it(`rejects: ${name}`, () => expect(loadTree({ 'a.delivery': src }).errors).to.deep.equal(errors));
  }
});
