/**
 * The benchmark baseline: a minimal raw Node UDP responder that copies the query, sets QR/AA and
 * appends one fixed A record pointing at the question (0xC00C), with no parsing at all — the
 * practical ceiling for a single Node process answering DNS.
 * Usage: node raw-responder.js PORT
 */
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2] ?? 5399);
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1]);
const sock = createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const out = Buffer.allocUnsafe(msg.length + answer.length);
  msg.copy(out, 0);
  answer.copy(out, msg.length);
  out[2] |= 0x84;
  out[7] = 1;
  sock.send(out, rinfo.port, rinfo.address);
});
sock.bind(port, '127.0.0.1', () => process.stdout.write(`raw responder on 127.0.0.1:${port}\n`));
process.on('SIGTERM', () => sock.close());
