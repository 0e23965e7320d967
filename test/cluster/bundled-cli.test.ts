/**
 * The CLI as it ships (the launcher, the CommonJS bundle with client-node's KubeConfig inside and
 * node-fetch replaced by Node's own fetch classes, and the trained code cache) against the fake
 * API server, as a child process on plain node: apply, a second apply that writes nothing, diff
 * and status. The other cluster tests run the sources through tsx; this one proves the bundle is
 * the same program, and that the code cache the build trained is the one V8 takes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OFFLINE_COMMANDS } from '../../src/cli/offline.ts';
import { VERSION } from '../../src/cli/run.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';
import { type BuiltBundle, buildBundle, plainNodeEnv, repoRoot } from '../support/bundle.ts';
import { runChild } from '../support/child.ts';
import { runCli } from '../support/cli.ts';

function runBundle(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runChild(process.execPath, [cli, ...args], { env: plainNodeEnv({ KUBECONFIG: '', ...env }) });
}

describe('the bundled CLI against the fake API server', () => {
  let bundle: BuiltBundle;
  let api: FakeApiServer;
  let work: string;
  let file: string;

  before(async () => {
    bundle = buildBundle();
    api = await startFakeApiServer({ nodes: 3, crdEstablishDelayMs: 20 });
    work = mkdtempSync(join(tmpdir(), 'netpack-bundled-cli-'));
    file = join(work, 'cluster.yml');
    writeFileSync(file, 'network:\n  provider: calico\n  pod_network_cidr: 10.244.0.0/16\n');
  });

  after(async () => {
    await api.close();
    bundle.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('starts each bundle from the code cache the build trained, and without it all the same', async () => {
    const report = { NETPACK_CODE_CACHE_REPORT: '1' };
    // render runs the offline bundle, diff the whole CLI: each has its own cache.
    const withCache = await runBundle(bundle.cli, ['render', '-f', file], report);
    assert.equal(withCache.code, 0, withCache.stderr);
    assert.equal(withCache.stderr, 'netpack: code cache accepted\n');
    const full = await runBundle(bundle.cli, ['diff', '--help'], report);
    assert.equal(full.stderr, 'netpack: code cache accepted\n');
    for (const name of ['netpack-core.cjs', 'netpack-offline.cjs']) {
      const core = readFileSync(join(bundle.dir, 'dist', name));
      assert.ok(
        core.every((byte) => byte < 0x80),
        `${name} is ASCII, which the launcher reads as latin1`,
      );
    }
    const cache = join(bundle.dir, 'dist', `netpack-offline.cjs.v8-${process.versions.v8}.cache`);
    const saved = readFileSync(cache);
    try {
      writeFileSync(cache, Buffer.from('not a V8 code cache'));
      const rejected = await runBundle(bundle.cli, ['render', '-f', file], report);
      assert.equal(rejected.stderr, 'netpack: code cache rejected\n');
      assert.equal(rejected.stdout, withCache.stdout);
      rmSync(cache);
      const absent = await runBundle(bundle.cli, ['render', '-f', file], report);
      assert.equal(absent.stderr, 'netpack: code cache absent\n');
      assert.equal(absent.stdout, withCache.stdout);
    } finally {
      writeFileSync(cache, saved);
    }
  });

  it('the launcher sends exactly the offline commands to the offline bundle', () => {
    const launcher = readFileSync(join(repoRoot, 'scripts', 'launcher.cjs'), 'utf8');
    const listed = /const OFFLINE = (\[[^\]]*\]);/.exec(launcher)?.[1];
    assert.ok(listed, 'OFFLINE in scripts/launcher.cjs');
    assert.deepEqual(JSON.parse(listed.replaceAll("'", '"')), [...OFFLINE_COMMANDS]);
  });

  it('renders Calico byte for byte as the sources do, its CRDs written ahead at build time', async () => {
    assert.ok(
      existsSync(join(bundle.dir, 'dist', 'crds.written-ahead.json')),
      'the build wrote the CRDs ahead',
    );
    const example = join(repoRoot, 'examples', 'calico', 'cluster.yml');
    const shipped = await runBundle(bundle.cli, ['render', '-f', example]);
    assert.equal(shipped.code, 0, shipped.stderr);
    const fromSources = await runCli('render', '-f', example);
    assert.equal(shipped.stdout, fromSources.stdout);
  });

  it('the former bin, dist/netpack.mjs, still runs the CLI (links made to it keep working)', async () => {
    const r = await runBundle(join(bundle.dir, 'dist', 'netpack.mjs'), ['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), VERSION);
  });

  it('stops quietly when its reader stops early (netpack render | head -1)', async () => {
    const r = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
      const child = spawn(process.execPath, [bundle.cli, 'render', '-f', file], { env: plainNodeEnv() });
      let first = '';
      let stderr = '';
      child.stdout.once('data', (d) => {
        first = String(d).split('\n')[0]!;
        child.stdout.destroy();
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code, stderr, first }));
    });
    assert.equal(r.first, '---');
    assert.equal(r.stderr, '', 'no EPIPE stack trace');
    assert.equal(r.code, 0);
  });

  it('keeps its exit status when its reader stops early (validate -o json | true)', async () => {
    const bad = join(work, 'null.yml');
    writeFileSync(bad, 'null\n');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [bundle.cli, 'validate', '-f', bad, '-o', 'json'], {
        env: plainNodeEnv(),
      });
      child.stdout.destroy();
      child.stderr.resume();
      child.on('close', resolve);
    });
    assert.equal(code, 1, 'invalid, whoever reads the output');
  });

  it('apply carries on when its reader stops early, and finishes the apply', async () => {
    const own = await startFakeApiServer({ nodes: 3, crdEstablishDelayMs: 5 });
    try {
      const args = ['apply', '-f', file, '--kubeconfig', own.kubeconfigPath, '--no-wait', '--verbose'];
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [bundle.cli, ...args], {
          env: plainNodeEnv({ KUBECONFIG: '' }),
        });
        child.stdout.destroy();
        child.stderr.once('data', () => child.stderr.destroy());
        child.on('close', resolve);
      });
      assert.equal(code, 0);
      assert.ok(own.store.find('ConfigMap', 'netpack-state', 'kube-system'), 'the apply went to its end');
    } finally {
      await own.close();
    }
  });

  const apply = () =>
    runBundle(bundle.cli, ['apply', '-f', file, '--kubeconfig', api.kubeconfigPath, '--no-wait']);

  it('applies the Calico network, CRDs and IPPool included', async () => {
    const r = await apply();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created, 0 configured/);
    assert.equal(api.store.all('CustomResourceDefinition').length, 23);
    assert.ok(api.store.find('IPPool', 'default-ipv4-ippool'), 'the IPPool, after its CRD was Established');
    assert.ok(api.store.find('DaemonSet', 'calico-node', 'kube-system'));
  });

  it('a second apply of the same file writes nothing; diff agrees', async () => {
    const writes = api.writes().length;
    const r = await apply();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(api.writes().length, writes, 'zero writes');
    const d = await runBundle(bundle.cli, ['diff', '-f', file, '--kubeconfig', api.kubeconfigPath]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
  });

  it('status reads the cluster and answers in JSON', async () => {
    api.rollout.settle();
    const r = await runBundle(bundle.cli, ['status', '-o', 'json', '--kubeconfig', api.kubeconfigPath]);
    const report = JSON.parse(r.stdout) as { healthy: boolean; checks: unknown[] };
    assert.ok(report.checks.length > 0);
    assert.equal(r.code, report.healthy ? 0 : 1);
  });

  it("reaches the server through a kubeconfig's proxy-url (the proxy agent the bundle loads on first use)", async () => {
    // An HTTP proxy on loopback that tunnels with CONNECT, as client-node's proxy agent asks it to.
    const tunnels: string[] = [];
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const server = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        server.write(head);
        server.pipe(client);
        client.pipe(server);
      });
      server.on('error', () => client.destroy());
      client.on('error', () => server.destroy());
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    try {
      const { port } = proxy.address() as AddressInfo;
      const kubeconfig = join(work, 'proxied.kubeconfig');
      writeFileSync(
        kubeconfig,
        readFileSync(api.kubeconfigPath, 'utf8').replace(
          /^(\s*)server: (.*)$/m,
          `$1server: $2\n$1proxy-url: http://127.0.0.1:${port}`,
        ),
      );
      const before = api.requests.length;
      const status = await runBundle(bundle.cli, ['status', '-o', 'json', '--kubeconfig', kubeconfig]);
      assert.ok(status.code === 0 || status.code === 1, status.stderr);
      assert.ok(api.requests.length > before, 'the server was asked');
      const server = new URL(api.url).host;
      assert.ok(tunnels.length > 0, 'the proxy was used');
      assert.deepEqual(new Set(tunnels), new Set([server]), 'every tunnel leads to the API server');
    } finally {
      await new Promise((done) => proxy.close(done));
    }
  });
});
