import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { requireTools } from '../support/tools';
import { dig, digAt, startServe } from './serve-process';
import type { ServeProcess } from './serve-process';
import { query } from './helpers';

const big = Array.from({ length: 12 }, (_, i) => `"${String(i).padEnd(200, 'x')}"`).join(' ');
const ZONE = `$ORIGIN example.com.
$TTL 300
@       3600 IN SOA ns1 hostmaster 7 3600 600 86400 60
@       NS   ns1
@       MX   10 mail
@       TXT  "v=spf1 -all"
@       CAA  0 issue "letsencrypt.org"
ns1     A    192.0.2.53
www     A    192.0.2.1
www     AAAA 2001:db8::1
alias   CNAME www
mail    A    192.0.2.25
_sip._udp SRV 1 2 5060 sip
sip     AAAA 2001:db8::5
*.wild  A    198.51.100.1
sub     NS   ns.sub
ns.sub  A    192.0.2.99
big     TXT  ${big}
`;

/** Sends one UDP datagram and resolves with the reply (or undefined after `ms`). */
function udpExchange(port: number, msg: Buffer, ms = 1500): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve(undefined); }, ms);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
    s.send(msg, port, '127.0.0.1');
  });
}

/** Queries www.example.com A back to back until stopped; counts answered and failed queries. */
function queryLoop(port: number): { stop(): Promise<{ ok: number; failed: number }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const done = (async () => {
    for (let id = 1; running; id = (id + 1) & 0xffff) {
      const r = await udpExchange(port, query('www.example.com', 'A', { id }), 1000);
      const d = r ? dnsPacket.decode(r) : undefined;
      if (d && d.id === id && (d as { rcode?: string }).rcode === 'NOERROR' && (d.answers?.length ?? 0) === 1) ok++;
      else failed++;
    }
  })();
  return { stop: async () => { running = false; await done; return { ok, failed }; } };
}

describe('anypick serve (dig against a real process)', function () {
  this.timeout(30000);
  let dir: string;
  let srv: ServeProcess;
  const zoneFile = (): string => join(dir, 'example.com.zone');

  before(async function () {
    requireTools(this, 'dig');
    dir = mkdtempSync(join(tmpdir(), 'anypick-dns-'));
    writeFileSync(zoneFile(), ZONE);
    srv = await startServe([dir]);
  });
  after(async () => {
    if (srv) await srv.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<{ what: string; args: string[]; expect: RegExp[] }> = [
    { what: 'SOA with AA', args: ['example.com', 'SOA'], expect: [/status: NOERROR/, /flags: qr aa rd;/, /example\.com\.\s+3600\s+IN\s+SOA\s+ns1\.example\.com\. hostmaster\.example\.com\. 7 /] },
    { what: 'NS', args: ['example.com', 'NS'], expect: [/flags: qr aa/, /IN\s+NS\s+ns1\.example\.com\./, /ADDITIONAL SECTION:\nns1\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.53/] },
    { what: 'A', args: ['www.example.com', 'A'], expect: [/flags: qr aa/, /www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.1/] },
    { what: 'AAAA', args: ['www.example.com', 'AAAA'], expect: [/IN\s+AAAA\s+2001:db8::1/] },
    { what: 'CNAME followed', args: ['alias.example.com', 'A'], expect: [/alias\.example\.com\.\s+300\s+IN\s+CNAME\s+www\.example\.com\.\nwww\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.1/] },
    { what: 'MX with additional', args: ['example.com', 'MX'], expect: [/IN\s+MX\s+10 mail\.example\.com\./, /mail\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.25/] },
    { what: 'TXT', args: ['example.com', 'TXT'], expect: [/IN\s+TXT\s+"v=spf1 -all"/] },
    { what: 'SRV with additional', args: ['_sip._udp.example.com', 'SRV'], expect: [/IN\s+SRV\s+1 2 5060 sip\.example\.com\./, /sip\.example\.com\.\s+300\s+IN\s+AAAA\s+2001:db8::5/] },
    { what: 'CAA', args: ['example.com', 'CAA'], expect: [/IN\s+CAA\s+0 issue "letsencrypt\.org"/] },
    { what: 'wildcard', args: ['anything.wild.example.com', 'A'], expect: [/flags: qr aa/, /anything\.wild\.example\.com\.\s+300\s+IN\s+A\s+198\.51\.100\.1/] },
    { what: 'NXDOMAIN with SOA (TTL 60)', args: ['nope.example.com', 'A'], expect: [/status: NXDOMAIN/, /flags: qr aa/, /AUTHORITY SECTION:\nexample\.com\.\s+60\s+IN\s+SOA/] },
    { what: 'NODATA with SOA', args: ['www.example.com', 'MX'], expect: [/status: NOERROR/, /ANSWER: 0, AUTHORITY: 1/, /example\.com\.\s+60\s+IN\s+SOA/] },
    { what: 'REFUSED outside the zones, no RA', args: ['www.example.org', 'A'], expect: [/status: REFUSED/, /flags: qr rd;/] },
    { what: 'referral with glue, no AA', args: ['host.sub.example.com', 'A'], expect: [/status: NOERROR/, /flags: qr rd;/, /AUTHORITY SECTION:\nsub\.example\.com\.\s+300\s+IN\s+NS\s+ns\.sub\.example\.com\./, /ADDITIONAL SECTION:\nns\.sub\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.99/] },
    { what: 'ECS echoed with scope 0', args: ['www.example.com', 'A', '+subnet=198.51.100.0/24'], expect: [/CLIENT-SUBNET: 198\.51\.100\.0\/24\/0/] },
    { what: 'ECS (IPv6) echoed with scope 0', args: ['www.example.com', 'AAAA', '+subnet=2001:db8:ae21::/48'], expect: [/CLIENT-SUBNET: 2001:db8:ae21::\/48\/0/, /IN\s+AAAA\s+2001:db8::1/] },
    { what: 'DO bit echoed in OPT', args: ['+dnssec', 'www.example.com', 'A'], expect: [/EDNS: version: 0, flags: do; udp: 1232/] },
    { what: 'RD=0 copied', args: ['+norec', 'www.example.com', 'A'], expect: [/flags: qr aa;/] },
    { what: '0x20 case echoed', args: ['wWw.ExAmPlE.cOm', 'A'], expect: [/;wWw\.ExAmPlE\.cOm\.\s+IN\s+A/, /status: NOERROR/] },
    { what: 'BADVERS for EDNS version 1', args: ['+edns=1', '+noednsneg', 'www.example.com', 'A'], expect: [/status: BADVERS/, /EDNS: version: 0/] },
    { what: 'NOTIMP for opcode STATUS', args: ['+opcode=status', 'www.example.com', 'A'], expect: [/opcode: STATUS, status: NOTIMP/] },
  ];
  for (const transport of ['UDP', 'TCP']) {
    for (const c of cases) {
      it(`${transport}: ${c.what}`, async () => {
        const out = await dig(srv.port, ...(transport === 'TCP' ? ['+tcp'] : []), ...c.args);
        for (const re of c.expect) expect(out).to.match(re);
      });
    }
  }

  it('UDP: a too-large answer comes back truncated (TC, no records), then dig retries over TCP and gets it', async () => {
    const truncated = await dig(srv.port, '+ignore', 'big.example.com', 'TXT');
    expect(truncated).to.match(/flags: qr aa tc rd;/);
    expect(truncated).to.match(/ANSWER: 0,/);
    const retried = await dig(srv.port, 'big.example.com', 'TXT');
    expect(retried).to.match(/Truncated, retrying in TCP mode/);
    expect(retried).to.match(/ANSWER: 1,/);
    expect(retried).to.match(/"11x+"/);
  });

  it('UDP: FORMERR with the header ID for a crafted query with QDCOUNT 2', async () => {
    const q = query('www.example.com', 'A', { id: 0x4d2 });
    q.writeUInt16BE(2, 4);
    const reply = await udpExchange(srv.port, Buffer.concat([q, q.subarray(12)]));
    expect(reply).to.not.equal(undefined);
    expect(reply!.readUInt16BE(0)).to.equal(0x4d2);
    expect(reply![2] & 0x80).to.equal(0x80);
    expect(reply![3] & 0x0f).to.equal(1);
  });

  it('UDP: a response packet (QR=1) is dropped, and the server still answers', async () => {
    const q = query('www.example.com', 'A');
    q[2] |= 0x80;
    expect(await udpExchange(srv.port, q, 500)).to.equal(undefined);
    expect(await dig(srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
  });

  it('TCP: pipelined queries on one connection, sent in one write split across segments, all answered', async () => {
    const names = ['www.example.com', 'alias.example.com', 'nope.example.com', 'big.example.com'];
    const frames = names.map((n, i) => {
      const q = query(n, n.startsWith('big') ? 'TXT' : 'A', { id: 1000 + i });
      const f = Buffer.alloc(2 + q.length);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      return f;
    });
    const all = Buffer.concat(frames);
    const replies = await new Promise<dnsPacket.Packet[]>((resolve, reject) => {
      const out: dnsPacket.Packet[] = [];
      let buf = Buffer.alloc(0);
      const s = connect(srv.port, '127.0.0.1', () => {
        // First 5 bytes alone (a partial length + header), then the rest.
        s.write(all.subarray(0, 5));
        setTimeout(() => s.write(all.subarray(5)), 50);
      });
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          out.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (out.length === names.length) { s.end(); resolve(out); }
      });
      s.on('error', reject);
      setTimeout(() => reject(new Error(`only ${out.length} replies`)), 5000);
    });
    expect(replies.map((r) => r.id)).to.deep.equal([1000, 1001, 1002, 1003]);
    expect((replies[2] as { rcode?: string }).rcode).to.equal('NXDOMAIN');
    expect(replies[3].answers).to.have.length(1);
  });

  it('reload: a broken file is logged with file:line:col and the last good data keeps serving; the fix takes effect; SIGHUP reloads', async () => {
    const loop = queryLoop(srv.port);
    const mark = srv.logs.length;
    writeFileSync(zoneFile(), ZONE + 'new  A  192.0.2.300\n');
    const line = await srv.waitForLog(/reload rejected/, 10000, mark);
    expect(line).to.match(/example\.com\.zone:19:\d+: /);
    expect(await dig(srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
    expect(await dig(srv.port, 'new.example.com', 'A')).to.match(/status: NXDOMAIN/);
    const mark2 = srv.logs.length;
    writeFileSync(zoneFile(), ZONE.replace('192.0.2.1\n', '192.0.2.111\n') + 'new  A  192.0.2.30\n');
    await srv.waitForLog(/"msg":"reloaded"/, 10000, mark2);
    expect(await dig(srv.port, '+short', 'new.example.com', 'A')).to.equal('192.0.2.30\n');
    expect(await dig(srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.111\n');
    const mark3 = srv.logs.length;
    srv.child.kill('SIGHUP');
    await srv.waitForLog(/"why":"SIGHUP".*"msg":"reloaded"/, 10000, mark3);
    const during = await loop.stop();
    expect(during.failed, 'queries that failed during the reloads').to.equal(0);
    expect(during.ok).to.be.greaterThan(10);
  });

  it('SIGTERM closes the sockets and exits 0', async () => {
    const code = await srv.stop();
    expect(code).to.equal(0);
  });
});

describe('anypick serve on several addresses (IPv4 and IPv6)', function () {
  this.timeout(20000);
  let dir: string;
  let srv: ServeProcess | undefined;
  after(async () => {
    if (srv) await srv.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  it('answers on 127.0.0.1 and [::1] given two --dns options, over UDP and TCP', async function () {
    requireTools(this, 'dig');
    dir = mkdtempSync(join(tmpdir(), 'anypick-dns6-'));
    writeFileSync(join(dir, 'example.com.zone'), ZONE);
    srv = await startServe((port) => [dir, '--dns', `[::1]:${port}`]);
    expect(srv.logs.filter((l) => /dns listening/.test(l)).map((l) => JSON.parse(l).host)).to.have.members(['127.0.0.1', '::1']);
    expect(await digAt('::1', srv.port, '+short', 'www.example.com', 'AAAA')).to.equal('2001:db8::1\n');
    expect(await digAt('::1', srv.port, '+tcp', '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
    expect(await dig(srv.port, '+short', 'www.example.com', 'A')).to.equal('192.0.2.1\n');
  });
  it('rejects a malformed --dns with a usage error (exit 2)', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'src', 'cli', 'main.js'), 'serve', '--dns', '::1:53'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--dns ::1:53: expected ADDR:PORT/);
  });
  for (const [args, re] of [
    [['--latency-max-networks', '0'], /--latency-max-networks 0: expected an integer ≥ 1/],
    [['--latency-networks-per-minute', '1e3'], /--latency-networks-per-minute 1e3: expected an integer ≥ 1/],
    [['--dnstap', 'unix:/tmp/x.sock', '--dnstap-sample', '0'], /--dnstap-sample 0: expected an integer 1\.\.1000000/],
    [['--rrl', '20', '--rrl-slip', '11'], /--rrl-slip 11: expected an integer 0\.\.10/],
  ] as Array<[string[], RegExp]>) {
    it(`rejects ${args.join(' ')} with a usage error (exit 2)`, async () => {
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'src', 'cli', 'main.js'), 'serve', '--geoip-db', 'none', ...args], { encoding: 'utf8', timeout: 10_000 }); // a serve that starts would never exit
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(re);
    });
  }
});
