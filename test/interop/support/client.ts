/** Minimal DNS exchange over UDP and TCP for the differential tests (one socket per query). */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/** One UDP query; undefined after `ms` without a reply. */
export function exchangeUdp(port: number, msg: Buffer, ms = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve(undefined); }, ms);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
    s.on('error', () => { clearTimeout(t); s.close(); resolve(undefined); });
    s.send(msg, port, '127.0.0.1');
  });
}

/** One TCP query (RFC 7766 two-octet framing); undefined after `ms` without a full reply. */
export function exchangeTcp(port: number, msg: Buffer, ms = 3000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const done = (r: Buffer | undefined): void => { clearTimeout(t); s.destroy(); resolve(r); };
    const t = setTimeout(() => done(undefined), ms);
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length, 0);
      s.write(Buffer.concat([len, msg]));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    s.on('error', () => done(undefined));
  });
}
