/**
 * A server that accepts connections but never answers: each request is given up after the
 * request timeout and tried once more, then the command fails with a message that says so,
 * instead of hanging for ever.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createClusterClient } from '../../src/cluster/client.ts';
import { loadKubeConfig } from '../../src/cluster/kubeconfig.ts';
import { ClusterError } from '../../src/cluster/types.ts';
import { runCli } from '../support/cli.ts';

let silent: Server;
const sockets = new Set<Socket>();
let connections = 0;
let dir: string;
let kubeconfig: string;

before(async () => {
  silent = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // read the request, answer nothing
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'netpack-timeout-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'hung', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'hung', context: { cluster: 'hung', user: 'u' } }],
      'current-context': 'hung',
    }),
  );
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

it('gives a silent server up after the request timeout, tried twice, and says why', async () => {
  const { kc } = await loadKubeConfig({ kubeconfig });
  const client = await createClusterClient(kc, { requestTimeoutMs: 150 });
  try {
    await assert.rejects(
      client.list('v1', 'Node'),
      (e: unknown) =>
        e instanceof ClusterError &&
        e.code === 'Timeout' &&
        /list Node: 127\.0\.0\.1:\d+ accepted the connection but sent no answer within 150ms \(2 tries\); is it the API server/.test(
          e.message,
        ),
    );
    assert.equal(connections, 2, 'one try and one retry, each on a fresh connection');
  } finally {
    client.close();
  }
});

it('status --request-timeout 200ms against it: exit 2 with the reason, not a hang', async () => {
  const r = await runCli('status', '--kubeconfig', kubeconfig, '--request-timeout', '200ms');
  assert.equal(r.code, 2);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.match(r.stderr, /sent no answer within 200ms \(2 tries\)/);
});

it('a --request-timeout that is not a duration is a usage error', async () => {
  const r = await runCli('status', '--kubeconfig', kubeconfig, '--request-timeout', 'soon');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--request-timeout must be a duration like 15s or 1m \(got "soon"\)/);
});
