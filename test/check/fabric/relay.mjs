// Runs in the fabric's control-plane namespace: listens on a Unix socket (a file, so the test
// process in the host's namespace can reach it) and, per connection, reads "IP PORT\n", connects
// to that address from inside the fabric, and pipes both ways. The fake API server's pod proxy
// connects through it, as kube-apiserver would reach pod IPs over the cluster network.
import { connect, createServer } from 'node:net';

const path = process.argv[2];
const server = createServer((client) => {
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl === -1) return;
    client.off('data', onData);
    client.pause();
    const [ip, port] = head.subarray(0, nl).toString().trim().split(' ');
    const rest = head.subarray(nl + 1);
    const upstream = connect({ host: ip, port: Number(port) }, () => {
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  client.on('data', onData);
});
server.listen(path, () => process.stderr.write(`listening on ${path}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
