import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { CheckFailure } from '../../util/probe';
import type { RecordType } from 'dns-packet';

/** A DNS check: one query to the served address. */
export interface DnsProbe {
  address: string;
  port: number;
  name: string;
  qtype: string;
  /** Also query over TCP (both must pass). */
  tcp: boolean;
}

export { CheckFailure };

function query(name: string, qtype: string, id: number): Buffer {
  return packet.encode({ type: 'query', id, flags: 0, questions: [{ type: qtype as RecordType, name, class: 'IN' }] });
}

/** Passes on a NOERROR answer, with the same id and question, holding a record of the asked type. */
export function judgeDnsResponse(buf: Buffer, id: number, name: string, qtype: string): void {
  let r: packet.Packet;
  try {
    r = packet.decode(buf);
  } catch (err) {
    throw new CheckFailure(`undecodable DNS response: ${(err as Error).message}`);
  }
  if (r.id !== id || r.type !== 'response') throw new CheckFailure('response id or QR flag mismatch');
  const rcode = (r as { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode !== 'NOERROR') throw new CheckFailure(`rcode ${rcode}`);
  const want = name.replace(/\.$/, '').toLowerCase();
  const ok = (r.answers ?? []).some((a) => a.type === qtype && a.name.replace(/\.$/, '').toLowerCase() === want);
  if (!ok) throw new CheckFailure(`no ${qtype} record for ${name || '.'} in the answer`);
}

/** Sends one UDP query on a connected socket and judges the answer. */
export function dnsUdp(p: DnsProbe, timeoutMs: number): Promise<void> {
  const id = randomInt(0, 65536);
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(p.address) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
      try { sock.close(); } catch { /* already closed after an error */ }
    };
    const timer = setTimeout(() => done(new CheckFailure(`no UDP answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (err) => done(new CheckFailure(`udp: ${err.message}`)));
    sock.on('message', (msg) => {
      try {
        judgeDnsResponse(msg, id, p.name, p.qtype);
        done();
      } catch (err) {
        done(err as Error);
      }
    });
    // A connected socket reports ICMP port unreachable at once (a stopped server fails fast).
    sock.connect(p.port, p.address, () => sock.send(query(p.name, p.qtype, id)));
  });
}

/** Sends one TCP query (RFC 7766 two-octet length prefix) and judges the answer. */
export function dnsTcp(p: DnsProbe, timeoutMs: number): Promise<void> {
  const id = randomInt(0, 65536);
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: p.address, port: p.port });
    let buf = Buffer.alloc(0);
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new CheckFailure(`no TCP answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (err) => done(new CheckFailure(`tcp: ${err.message}`)));
    sock.on('connect', () => {
      const q = query(p.name, p.qtype, id);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length, 0);
      sock.write(Buffer.concat([len, q]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      try {
        judgeDnsResponse(buf.subarray(2, 2 + buf.readUInt16BE(0)), id, p.name, p.qtype);
        done();
      } catch (err) {
        done(err as Error);
      }
    });
    sock.on('close', () => done(new CheckFailure('tcp connection closed before an answer')));
  });
}
