/**
 * The Node ceiling for the GSLB benchmark: a UDP responder that copies the query's header and
 * question and appends one fixed AAAA answer, with no parsing beyond finding the question's
 * end and no EDNS. `node dist/bench/gslb/raw-responder.js PORT [HOST]`.
 */
import dgram from 'node:dgram';

const ADDRESS = Buffer.from('20010db8ae2177000000000000000000', 'hex');
// Answer: name pointer to offset 12, type AAAA (28), class IN, TTL 90, RDLENGTH 16, address.
const ANSWER = Buffer.concat([Buffer.from([0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x5a, 0x00, 0x10]), ADDRESS]);

/** Builds the reply to `msg`, or undefined for a packet too short to be a query. */
export function rawReply(msg: Buffer): Buffer | undefined {
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += msg[i] + 1;
  const end = i + 5; // zero label + QTYPE + QCLASS
  if (msg.length < end) return undefined;
  const out = Buffer.allocUnsafe(end + ANSWER.length);
  msg.copy(out, 0, 0, end);
  out[2] = 0x84 | (msg[2] & 0x01); // QR, AA, keep RD
  out[3] = 0;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 6);
  out.writeUInt32BE(0, 8); // NSCOUNT, ARCOUNT
  ANSWER.copy(out, end);
  return out;
}

if (require.main === module) {
  const port = Number(process.argv[2]);
  const host = process.argv[3] ?? '127.0.0.1';
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const reply = rawReply(msg);
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
  });
  sock.bind(port, host, () => process.stderr.write(`raw responder on ${host}:${port}\n`));
  process.on('SIGTERM', () => sock.close(() => process.exit(0)));
}
