/**
 * Benchmark backend: one process serving a small fixed response on each port given as an
 * argument (`node backend.js PORT…`), printing `ready` when all listen.
 */
import { createServer } from 'node:http';

const body = Buffer.from(JSON.stringify({ ok: true, payload: 'x'.repeat(100) }));
const ports = process.argv.slice(2).map(Number);
let up = 0;
for (const port of ports) {
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  }).listen(port, '127.0.0.1', () => {
    if (++up === ports.length) process.stdout.write('ready\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
