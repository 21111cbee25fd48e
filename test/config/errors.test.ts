import { expect } from 'chai';
import { loadTree } from './helpers';

/** A minimal delivery header that publishes and subscribes, for signal-fed references. */
const SIGNALS = `delivery d
  publish:
    presence @a as otel.event
    readiness @a as otel.event
  subscribe:
    presence @a to membership
    readiness @a to dynamic-weight
`;

interface Case {
  name: string;
  files: Record<string, string>;
  errors: string[];
}

const CASES: Case[] = [
  // Lexer and indentation.
  { name: 'tab in indentation', files: { 'a.delivery': 'service s:\n\tlisten "https://example.com"\n' },
    errors: ['a.delivery:2:1: tab character in indentation: indent with spaces'] },
  { name: 'tab between words', files: { 'a.delivery': 'service s:\n  listen\t"https://example.com"\n' },
    errors: ['a.delivery:2:9: tab character: indent and separate with spaces'] },
  { name: 'inconsistent indentation', files: { 'a.delivery': 'service s:\n    listen "https://example.com"\n  admit: control.c\n' },
    errors: ['a.delivery:3:3: inconsistent indentation: 2 spaces, but the lines above at this level have 4'] },
  { name: 'indented first line', files: { 'a.delivery': '  service s:\n' },
    errors: ['a.delivery:1:3: unexpected indentation: a top-level line must start in column 1'] },
  { name: 'unterminated string', files: { 'a.delivery': 'service s:\n  listen "https://example.com\n' },
    errors: ['a.delivery:2:10: unterminated string: missing closing \'"\''] },
  { name: 'unknown escape', files: { 'a.delivery': 'service s:\n  listen "https://exa\\qmple.com"\n' },
    errors: ['a.delivery:2:22: unknown escape \'\\q\' in string (allowed: \\" \\\\ \\n \\t)'] },
  // Keywords and values.
  { name: 'unknown keyword in service', files: { 'a.delivery': 'service s:\n  lisen "https://example.com"\n' },
    errors: ["a.delivery:2:3: unknown keyword 'lisen' in 'service' (expected one of: listen, admit, next-hop, next-hop-strategy, next-hop-members)"] },
  { name: 'unknown top-level keyword', files: { 'a.delivery': 'servce s:\n' },
    errors: ["a.delivery:1:1: unknown keyword 'servce' in 'file' (expected one of: control, list, service, process, delivery)"] },
  { name: 'duplicate key', files: { 'a.delivery': 'service s:\n  listen "https://example.com"\n  listen "https://example.org"\n' },
    errors: ["a.delivery:3:3: duplicate 'listen' in 'service' (first at a.delivery:2:3)"] },
  { name: 'bad IPv6 in member block', files: { 'a.delivery': 'service s:\n  next-hop-members:\n    c-1 10 dyn 2001:db8::g/64\n' },
    errors: ["a.delivery:3:16: bad IP address '2001:db8::g' in block '2001:db8::g/64'"] },
  { name: 'bad prefix length', files: { 'a.delivery': 'service s:\n  next-hop-members:\n    c-1 10 dyn 192.0.2.0/33\n' },
    errors: ["a.delivery:3:25: bad prefix length '/33' (IPv4: 0..32)"] },
  { name: 'weight out of range', files: { 'a.delivery': 'service s:\n  next-hop-members:\n    c-1 65536 dyn 2001:db8::/64\n' },
    errors: ['a.delivery:3:9: weight 65536 out of range 0..65535'] },
  { name: 'bad member mode', files: { 'a.delivery': 'service s:\n  next-hop-members:\n    c-1 10 dynamic 2001:db8::/64\n' },
    errors: ["a.delivery:3:12: bad member mode 'dynamic' (expected dyn or static)"] },
  { name: 'quoted record with four fields', files: { 'a.delivery': 'service s:\n  listen "https://example.com"\n  next-hop-members:\n    d-1 10 dyn "example.com AAAA IN 2001:db8::/56"\n' },
    errors: ['a.delivery:4:16: bad record \'example.com AAAA IN 2001:db8::/56\' (expected "OWNER TYPE IN TTL ADDR/LEN", e.g. "example.com AAAA IN 90 2001:db8::/56")'] },
  { name: 'record type and family disagree', files: { 'a.delivery': 'service s:\n  listen "https://example.com"\n  next-hop-members:\n    d-1 10 dyn "example.com A IN 90 2001:db8::/56"\n' },
    errors: ["a.delivery:4:37: A record needs an IPv4 address, got '2001:db8::'"] },
  { name: 'record TTL out of range', files: { 'a.delivery': 'service s:\n  listen "https://example.com"\n  next-hop-members:\n    d-1 10 dyn "example.com AAAA IN 2147483648 2001:db8::/56"\n' },
    errors: ['a.delivery:4:37: TTL 2147483648 out of range 0..2147483647'] },
  { name: 'record owner is not the listen host', files: { 'a.delivery': 'service s:\n  listen "https://example.com"\n  next-hop-members:\n    d-1 10 dyn "www.example.com AAAA IN 90 2001:db8::/56"\n' },
    errors: ["a.delivery:4:16: record owner 'www.example.com' does not match the listen host 'example.com' of service 's'"] },
  { name: 'member location out of range', files: { 'a.delivery': 'service s:\n  next-hop-members:\n    c-1 10 dyn 2001:db8::/64 location 37.4,-190\n' },
    errors: ['a.delivery:3:44: longitude -190 out of range -180..180'] },
  { name: 'bad listen URL', files: { 'a.delivery': 'service s:\n  listen "https://exa mple.com"\n' },
    errors: ["a.delivery:2:19: bad host 'exa mple.com' in URL 'https://exa mple.com'"] },
  { name: 'schema path escaping its directory', files: { 'a.delivery': 'control c:\n  uri: "https://example.com/*"\n  match-site-schema: "../secret.json"\n' },
    errors: ["a.delivery:3:22: bad schema reference '../secret.json' (expected a relative path without '.', '..' or empty segments, or an http(s) URL)"] },
  { name: 'unknown strategy', files: { 'a.delivery': 'service s:\n  next-hop-strategy:\n    dynamic: nearest-first\n' },
    errors: ["a.delivery:3:14: unknown strategy 'nearest-first' (expected one of: internet-location-then-dynamic-weight, measured-latency-then-dynamic-weight, priority-then-weight)"] },
  { name: 'bad tolerance', files: { 'a.delivery': 'service s:\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n    tolerance: 500mi\n  next-hop-members:\n    c 1 dyn 2001:db8::/64\n' },
    errors: ["a.delivery:4:16: bad distance '500mi' (expected kilometres, e.g. 500km)"] },
  { name: 'priority-then-weight without a list', files: { 'a.delivery': 'service s:\n  next-hop-strategy: priority-then-weight\n' },
    errors: ["a.delivery:2:22: strategy 'priority-then-weight' needs 'next-hop: list.NAME' in service 's'"] },
  { name: 'location strategy without members', files: { 'a.delivery': 'service s:\n  next-hop-strategy:\n    dynamic: internet-location-then-dynamic-weight\n' },
    errors: ["a.delivery:3:14: strategy 'internet-location-then-dynamic-weight' needs 'next-hop-members' in service 's'"] },
  { name: 'threshold over 100%', files: { 'a.delivery': 'list l:\n  e:\n    threshold: 150%\n' },
    errors: ['a.delivery:3:16: threshold 150% out of range 1..100%'] },
  // Processes and BGP.
  { name: 'ASN 0', files: { 'a.delivery': 'process p:\n  routes neighbor 2001:db8::1\n    local-asn 0;\n    peer-asn 65536;\n' },
    errors: ['a.delivery:3:15: AS number 0 out of range 1..4294967295'] },
  { name: 'ASN too big', files: { 'a.delivery': 'process p:\n  routes neighbor 2001:db8::1\n    local-asn 64511;\n    peer-asn 4294967296;\n' },
    errors: ['a.delivery:4:14: AS number 4294967296 out of range 1..4294967295'] },
  { name: 'missing peer-asn', files: { 'a.delivery': 'process p:\n  routes neighbor 2001:db8::1\n    local-asn 64511;\n' },
    errors: ["a.delivery:2:19: neighbor 2001:db8::1 needs 'peer-asn N;'"] },
  { name: 'hold time 2', files: { 'a.delivery': 'process p:\n  routes neighbor 192.0.2.1\n    local-asn 1;\n    peer-asn 2;\n    hold-time 2;\n' },
    errors: ['a.delivery:5:15: hold-time must be 0 or 3..65535 seconds (RFC 4271 §4.2), got 2'] },
  { name: 'local address of the other family', files: { 'a.delivery': 'process p:\n  routes neighbor 192.0.2.1\n    local-address 2001:db8::1;\n    local-asn 1;\n    peer-asn 2;\n' },
    errors: ['a.delivery:3:19: local-address 2001:db8::1 is IPv6 but the neighbor is IPv4'] },
  { name: 'bad duration', files: { 'a.delivery': 'process p:\n  drain: 5sec\n' },
    errors: ["a.delivery:2:10: bad duration '5sec' (expected a number and a unit: 500ms, 1.5s, 2m, 1h, 14d)"] },
  { name: 'check timeout above interval', files: { 'a.delivery': 'process p:\n  dns:\n    check: dns\n    interval: 200ms\n    timeout: 1s\n' },
    errors: ['a.delivery:5:14: timeout (1000ms) must not exceed interval (200ms)'] },
  { name: 'prefix with host bits', files: { 'a.delivery': 'process p:\n  prefix: 2001:db8::1/48\n' },
    errors: ["a.delivery:2:11: prefix '2001:db8::1/48' has host bits set (the network is 2001:db8::/48)"] },
  // Signals.
  { name: 'unknown signal', files: { 'a.delivery': 'delivery d\n  publish:\n    liveness @a as otel.event\n' },
    errors: ["a.delivery:3:5: unknown signal 'liveness' (expected one of: presence, readiness, utilization, errors)"] },
  { name: 'subscription nobody publishes', files: { 'a.delivery': 'delivery d\n  publish:\n    presence @a as otel.event\n  subscribe:\n    presence @b to membership\n' },
    errors: ["a.delivery:5:5: subscribes to 'presence @b', which no 'publish:' line of delivery 'd' publishes"] },
  { name: 'bad lease', files: { 'a.delivery': 'delivery d\n  lease: 0s\n' },
    errors: ["a.delivery:2:10: duration '0s' must be greater than zero"] },
  // References.
  { name: 'unresolved control', files: { 'a.delivery': 'control c:\n  uri: "https://example.com/*"\nservice s:\n  admit: control.x\n' },
    errors: ["a.delivery:4:10: unresolved reference 'control.x': no control 'x' in scope (defined: c)"] },
  { name: 'unresolved list', files: { 'a.delivery': 'service s:\n  next-hop: list.y\n' },
    errors: ["a.delivery:2:13: unresolved reference 'list.y': no list 'y' in scope"] },
  { name: 'malformed reference', files: { 'a.delivery': 'service s:\n  admit: my-uri\n' },
    errors: ["a.delivery:2:10: bad reference 'my-uri' (expected control.NAME)"] },
  { name: 'unresolved check', files: { 'a.delivery': 'process p:\n  dns:\n    check: dns\n  bgp: p.http\n' },
    errors: ["a.delivery:4:8: unresolved reference 'p.http': process 'p' has no check block 'http' (defined: dns)"] },
  { name: 'unresolved application', files: { 'a.delivery': 'delivery d\n  anycast-dns: infra.application.nope\n' },
    errors: ["a.delivery:2:16: unresolved reference 'infra.application.nope': no loaded file 'nope.delivery' (or 'NN-nope.delivery') defines processes"] },
  { name: 'membership with no subscription', files: { 'a.delivery': 'service s:\n  next-hop-members:\n    dynamic: membership.s\n' },
    errors: ["a.delivery:3:14: 'membership.s' needs a 'subscribe:' line 'SIGNAL @CHANNEL to membership' in any loaded delivery: nothing feeds it"] },
  { name: 'membership of a missing tier', files: { 'a.delivery': `${SIGNALS}  datacenter-pick-service s:\n    next-hop-members:\n      dynamic: membership.s.cluster\n` },
    errors: ["a.delivery:10:16: unresolved reference 'membership.s.cluster': no cluster-tier service 's' in scope"] },
  { name: 'unknown tier', files: { 'a.delivery': `${SIGNALS}  datacenter-pick-service s:\n    next-hop-members:\n      dynamic: membership.s.region\n` },
    errors: ["a.delivery:10:29: unknown tier 'region' (expected one of: datacenter, cluster, service)"] },
  { name: 'unresolved dynamic weight', files: { 'a.delivery': `${SIGNALS}  datacenter-pick-service s:\n    next-hop: list.l\n    dc-1\n      cluster-pick-service:\n        c-1\n          service-pick-service:\n            list l:\n              e:\n                weight: dynamic from dynamic-weight.nope\n            next-hop: list.l\n` },
    errors: ["a.delivery:9:15: unresolved reference 'list.l': no list 'l' in scope",
      "a.delivery:16:38: unresolved reference 'dynamic-weight.nope': no service, list or list entry 'nope' in scope (defined: s, e, l)"] },
  { name: 'names inside a delivery tier are not visible outside it', files: { 'a.delivery': `${SIGNALS}  datacenter-pick-service s:\n    dc-1\n      cluster-pick-service:\n        control inner:\n          uri: "https://example.com/*"\nservice t:\n  admit: control.inner\n` },
    errors: ["a.delivery:14:10: unresolved reference 'control.inner': no control 'inner' in scope"] },
  { name: 'unresolved dependency', files: { 'a.delivery': 'list l:\n  a:\n    requires: b\n' },
    errors: ["a.delivery:3:15: unresolved dependency 'b': no service, list or list entry of that name in scope (defined: a, l)"] },
  { name: 'requires cycle', files: { 'a.delivery': 'list l:\n  a:\n    requires: b\n  b:\n    requires: c\n  c:\n    requires: a\n  d:\n    requires: d\n' },
    errors: ["a.delivery:2:3: requires cycle in list 'l': a → b → c → a", "a.delivery:8:3: requires cycle in list 'l': d → d"] },
  { name: 'duplicate names across files', files: { 'a.delivery': 'list l:\n  e:\n    weight: 1\n', 'b.delivery': 'list l:\n  f:\n    weight: 2\n' },
    errors: ["b.delivery:1:6: duplicate list 'l' (first defined at a.delivery:1:6)"] },
  { name: 'two DNS-tier services for one name', files: {
    'a.delivery': 'service s:\n  listen "https://example.com"\n  next-hop-members:\n    d 1 dyn "example.com AAAA IN 90 2001:db8::/56"\n',
    'b.delivery': 'service t:\n  listen "https://example.com"\n  next-hop-members:\n    d 1 dyn "example.com AAAA IN 90 2001:db8::/56"\n' },
    errors: ["b.delivery:2:10: 'example.com' is already answered by the DNS-tier service at a.delivery:2:10"] },
  { name: 'one origin in two zone files', files: {
    'a.zone': '$ORIGIN a.example.\n@ 3600 IN SOA ns h 1 2 3 4 5\n@ 3600 IN NS ns\nns 3600 IN A 192.0.2.1\n',
    'b.zone': '$ORIGIN a.example.\n@ 3600 IN SOA ns h 1 2 3 4 5\n@ 3600 IN NS ns\nns 3600 IN A 192.0.2.1\n' },
    errors: ["b.zone:2:1: duplicate zone 'a.example' (first loaded at a.zone:2:1)"] },
];

describe('config: broken inputs give file:line:col messages', () => {
  it('has a large table', () => expect(CASES.length).to.be.greaterThanOrEqual(12));
  for (const c of CASES) {
    it(c.name, () => {
      const { errors } = loadTree(c.files);
      expect(errors).to.deep.equal(c.errors);
    });
  }
});
