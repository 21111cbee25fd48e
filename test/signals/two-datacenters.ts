/**
 * The zone and delivery most signals tests and `bench:ingest` serve: example.com with one
 * service of two dynamic datacenters in one group (the tolerance covers the globe), two answers,
 * nothing when none is ready. One copy, so a change to the fixture reaches every user.
 */
export const DC1 = '2001:db8:ae21:7700::';
export const DC2 = '2001:db8:478:2800::';

export const ZONE = `$ORIGIN example.com.
$TTL 300
@  SOA ns1 hostmaster ( 2026112901 2h 30m 2w 5m )
   NS  ns1
ns1  A  127.0.0.1
`;

export const DELIVERY = `service my-service:
  listen "https://example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
    tolerance: 20000km
    answers: 2
    when-none-ready: none
  next-hop-members:
    datacenter-1 10 dyn "example.com AAAA IN 90 2001:db8:ae21:7700::/56"
    datacenter-2 10 dyn "example.com AAAA IN 90 2001:db8:0478:2800::/56"
`;
