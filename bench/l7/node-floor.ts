/**
 * The floor of a Node reverse proxy, for `npm run bench:l7`: node:http in front, an undici pool
 * per member behind, a member drawn at random, the response head and body passed through — no
 * admission, no header rewriting, no retries, no health. `node node-floor.js PORT MEMBER_PORT…`
 * prints `listening`. What the service pick's Node engine costs beyond this is its own; what this
 * costs is the platform's.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';

const [port, ...members] = process.argv.slice(2).map(Number);
const pools = members.map((p) => new Pool(`http://127.0.0.1:${p}`, { connections: 128 }));
createServer((req, res) => {
  const pool = pools[Math.floor(Math.random() * pools.length)];
  pool
    .stream({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: { host: req.headers.host ?? '' } }, ({ statusCode, headers }) => {
      res.writeHead(statusCode, headers as Record<string, string>);
      return res;
    })
    .catch(() => res.destroy());
}).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
