/** Configuration of the peers in the GSLB benchmark: the same datacenters, coordinates and database. */

/** The datacenters of seed example 3 and where geo-data/sample.mmdb puts their blocks. */
export const DATACENTERS = [
  { name: 'dc1', address: '2001:db8:ae21:7700::', lat: 37.4, lon: -122.1 },
  { name: 'dc2', address: '2001:db8:478:2800::', lat: 50.1, lon: 8.7 },
  { name: 'dc3', address: '2001:db8:c001:e400::', lat: 35.7, lon: 139.7 },
];

/** gdnsd 3 `config`: one UDP thread, geoip map with auto_dc_coords over the same database. */
export function gdnsdConfig(port: number, mmdb: string): string {
  const dcs = DATACENTERS.map((d) => d.name).join(', ');
  const coords = DATACENTERS.map((d) => `${d.name} => [${d.lat}, ${d.lon}]`).join(', ');
  const dcmap = DATACENTERS.map((d) => `${d.name} => [ ${d.address} ]`).join(', ');
  return `options => { listen => [ 127.0.0.1:${port} ], udp_threads => 1, tcp_threads => 1 }
plugins => {
  geoip => {
    maps => {
      gslb => {
        geoip2_db => ${mmdb},
        datacenters => [${dcs}],
        auto_dc_coords => { ${coords} },
        auto_dc_limit => 1,
      }
    }
    resources => {
      gslb => { map => gslb, service_types => [], dcmap => { ${dcmap} } }
    }
  }
}
`;
}

/** gdnsd zone: the apex answered by the geoip resource, TTL 90 as in seed example 3. */
export const GDNSD_ZONE = `$TTL 300
@ SOA ns1 hostmaster ( 1 7200 1800 1209600 300 )
@ NS ns1
@ NS ns2
ns1 A 127.0.0.1
ns2 A 127.0.0.2
@ 90 DYNA geoip!gslb
`;

/** anypick's zone beside seed example 3 (the datacenter pick answers the apex). */
export const ANYPICK_ZONE = `$ORIGIN example.com.
$TTL 300
@  SOA ns1 hostmaster ( 1 2h 30m 2w 5m )
   NS  ns1
   NS  ns2
ns1  A  127.0.0.1
ns2  A  127.0.0.2
`;
