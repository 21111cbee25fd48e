/**
 * The dns2 library's server answering one fixed A record per query: the measured evidence for
 * not building anypick on dns2 (its per-query decode/encode is slower than anypick's cached path).
 * Usage: node dns2-responder.js PORT
 */
interface Dns2Packet {
  questions: Array<{ name: string }>;
  answers: unknown[];
}
interface Dns2 {
  Packet: { TYPE: { A: number }; CLASS: { IN: number }; createResponseFromRequest(r: Dns2Packet): Dns2Packet };
  createServer(o: { udp: boolean; handle(req: Dns2Packet, send: (r: Dns2Packet) => void): void }): {
    on(ev: string, f: () => void): void;
    listen(o: { udp: { port: number; address: string } }): void;
    close(): void;
  };
}
// The bundled typings do not declare createServer.
const dns2 = require('dns2') as Dns2;

const port = Number(process.argv[2] ?? 5398);
const { Packet } = dns2;
const server = dns2.createServer({
  udp: true,
  handle: (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 300, address: '192.0.2.1' });
    send(response);
  },
});
server.on('listening', () => process.stdout.write(`dns2 responder on 127.0.0.1:${port}\n`));
server.listen({ udp: { port, address: '127.0.0.1' } });
process.on('SIGTERM', () => server.close());
