// A tiny DNS answerer for the fabric tests (stands in for node-local-dns and for CoreDNS behind
// the kube-dns Service): A queries for the names given answer their address, anything else is
// NXDOMAIN. Usage: node dns-answerer.mjs LISTEN_IP PORT NAME=IP...  Prints "listening" when bound.
import { createSocket } from 'node:dgram';

const [listen, port, ...pairs] = process.argv.slice(2);
const names = new Map(pairs.map((p) => p.split('=')).map(([n, ip]) => [n.toLowerCase(), ip]));

/** The question's name and where the question ends (after QTYPE and QCLASS). */
function question(msg) {
  const labels = [];
  let i = 12;
  while (msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString('latin1'));
    i += 1 + msg[i];
  }
  return { name: labels.join('.').toLowerCase(), qtype: msg.readUInt16BE(i + 1), end: i + 5 };
}

const socket = createSocket('udp4');
socket.on('message', (msg, from) => {
  if (msg.length < 17) return;
  const q = question(msg);
  const ip = names.get(q.name);
  const found = ip !== undefined && q.qtype === 1;
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8180 | (ip === undefined ? 3 : 0), 2); // response, RD+RA, rcode
  header.writeUInt16BE(1, 4); // one question
  header.writeUInt16BE(found ? 1 : 0, 6);
  const parts = [header, msg.subarray(12, q.end)];
  if (found) {
    const answer = Buffer.alloc(16);
    answer.writeUInt16BE(0xc00c, 0); // name: pointer to the question
    answer.writeUInt16BE(1, 2); // A
    answer.writeUInt16BE(1, 4); // IN
    answer.writeUInt32BE(5, 6); // TTL
    answer.writeUInt16BE(4, 10);
    for (const [k, o] of ip.split('.').entries()) answer.writeUInt8(Number(o), 12 + k);
    parts.push(answer);
  }
  socket.send(Buffer.concat(parts), from.port, from.address);
});
socket.bind(Number(port), listen, () => process.stderr.write(`listening on ${listen}:${port}\n`));
process.on('SIGTERM', () => socket.close());
