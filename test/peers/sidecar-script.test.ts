/**
 * Peering out of the box: the side-car script exactly as render ships it. The CLI is built as it
 * ships (scripts/bundle.mjs, into a temporary directory), `netpack render` of a cluster whose
 * hosts span two regions (so peering is on by default) puts the script into ConfigMap
 * weave-net-peers; the test takes the script from that ConfigMap, writes it alone into an empty
 * directory (no node_modules anywhere on its path) and runs it with plain `node`, with the
 * command and environment of the rendered container, against the fake API server and a fake
 * Weave router on 127.0.0.1. It must post this node's peers. No timing assertions: every wait is
 * "until X happens" with a cap.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NODE_IMAGE } from '../../src/render/node-image.ts';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../fake-apiserver/index.ts';
import { type BuiltBundle, buildBundle, plainNodeEnv, repoRoot } from '../support/bundle.ts';
import { RecordingRouter } from '../support/weave-router.ts';

async function waitFor(what: string, pred: () => boolean, capMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > capMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CLUSTER = `
hosts:
  - {address: 198.51.100.1, private_address: 10.0.0.1, role: master, labels: {kubernetes.io/hostname: eu-1, topology.kubernetes.io/region: eu}}
  - {address: 198.51.100.2, private_address: 10.0.0.2, role: worker, labels: {kubernetes.io/hostname: eu-2, topology.kubernetes.io/region: eu}}
  - {address: 203.0.113.1, private_address: 10.1.0.1, role: worker, labels: {kubernetes.io/hostname: us-1, topology.kubernetes.io/region: us}}
network:
  provider: weave
  weave:
    known_peers: [192.0.2.77]
`;

/** A Node as kubelet registers it; `regionIn` says whether the region is a label or (Pharos) an annotation. */
function node(
  name: string,
  region: string,
  internal: string,
  external: string,
  regionIn: 'label' | 'annotation',
): KubeObject {
  const region_ = { 'failure-domain.beta.kubernetes.io/region': region };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        ...(regionIn === 'label' ? { 'topology.kubernetes.io/region': region } : {}),
      },
      ...(regionIn === 'annotation' ? { annotations: region_ } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: internal },
        { type: 'ExternalIP', address: external },
      ],
    },
  } as KubeObject;
}

interface Container {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value?: string }[];
}

describe('the side-car script from the rendered ConfigMap, run by plain node', () => {
  let bundle: BuiltBundle;
  let objects: KubeObject[] = [];
  let scriptDir: string;
  let api: FakeApiServer;
  const router = new RecordingRouter();
  let child: ChildProcess | undefined;
  let stderr = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  before(async () => {
    bundle = buildBundle({ codeCache: false });
    writeFileSync(join(bundle.dir, 'cluster.yml'), CLUSTER);
    const r = spawnSync(
      process.execPath,
      [bundle.cli, 'render', '-f', join(bundle.dir, 'cluster.yml'), '-o', 'json'],
      {
        encoding: 'utf8',
        env: plainNodeEnv(),
      },
    );
    assert.equal(r.status, 0, r.stderr);
    objects = (JSON.parse(r.stdout) as { items: KubeObject[] }).items;
    scriptDir = mkdtempSync(join(tmpdir(), 'netpack-script-'));
    api = await startFakeApiServer();
  });

  after(async () => {
    if (child && !exited) child.kill('SIGKILL');
    await router.stop();
    await api?.close();
    bundle?.remove();
    if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  });

  const configMap = () =>
    objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'weave-net-peers');
  const sidecar = () => {
    const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'weave-net')!;
    const spec = (ds.spec as { template: { spec: { containers: Container[] } } }).template.spec;
    return spec.containers.find((c) => c.name === 'weave-peers');
  };

  test('render: peering on by itself (hosts span regions), the node image, the script in a ConfigMap under 1 MiB', () => {
    const sc = sidecar();
    assert.ok(sc, 'the side-car container is rendered');
    assert.match(sc.image, /^docker\.io\/library\/node:24\.[\d.]+-slim@sha256:[0-9a-f]{64}$/);
    assert.deepEqual(sc.command.slice(0, 4), ['node', '/netpack/sidecar.cjs', 'peers', 'run']);
    const script = (configMap()?.data as Record<string, string> | undefined)?.['sidecar.cjs'];
    assert.ok(script, 'ConfigMap weave-net-peers holds sidecar.cjs');
    assert.ok(Buffer.byteLength(script) < 1024 * 1024, `${Buffer.byteLength(script)} bytes fit a ConfigMap`);
    // One self-contained script: nothing required from node_modules.
    assert.doesNotMatch(script, /require\("@kubernetes\/client-node"\)|require\("commander"\)/);
    // Nor the config schemas: the constants it shares with render come without zod (which once
    // doubled the script through config/defaults.ts).
    assert.ok(!script.includes('$ZodType'), 'zod is not in the side-car script');
  });

  test('netpack images lists the node image, and the Dockerfile builds on the same pinned image', () => {
    const r = spawnSync(process.execPath, [bundle.cli, 'images', '-f', join(bundle.dir, 'cluster.yml')], {
      encoding: 'utf8',
      env: plainNodeEnv(),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.split('\n').includes(NODE_IMAGE), r.stdout);
    const froms = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('FROM '))
      .map((l) => l.split(/\s+/)[1]);
    assert.deepEqual(froms, [NODE_IMAGE, NODE_IMAGE]);
  });

  test('node sidecar.cjs peers run (alone in an empty directory) posts the peer list to the router', async () => {
    const script = (configMap()!.data as Record<string, string>)['sidecar.cjs']!;
    const file = join(scriptDir, 'sidecar.cjs');
    writeFileSync(file, script);
    for (let d = scriptDir; d !== dirname(d); d = dirname(d))
      assert.equal(existsSync(join(d, 'node_modules')), false, `no node_modules in ${d}`);

    const put = (o: KubeObject) => api.store.commit(api.store.registry.byKind('v1', 'Node')!, o);
    put(node('eu-1', 'eu', '10.0.0.1', '198.51.100.1', 'label'));
    put(node('eu-2', 'eu', '10.0.0.2', '198.51.100.2', 'label'));
    // A Pharos-era node: its region only in the annotation the Pharos guide names.
    put(node('us-1', 'us', '10.1.0.1', '203.0.113.1', 'annotation'));
    const routerUrl = await router.start();

    const sc = sidecar()!;
    // The rendered command with the script where this test put it, the metrics address on
    // loopback, and the fake router in place of the one on 127.0.0.1:6784.
    const args = sc.command
      .slice(2)
      .map((a) => (a.startsWith('--listen=') ? '--listen=127.0.0.1:0' : a))
      .concat(['--router-url', routerUrl, '--router-check', '1']);
    const env = plainNodeEnv({ NODE_NAME: 'eu-1', KUBECONFIG: api.kubeconfigPath, HOME: scriptDir });
    for (const e of sc.env) if (e.value !== undefined) env[e.name] = e.value;
    delete env.NODE_PATH;
    child = spawn(process.execPath, [file, ...args], {
      cwd: scriptDir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    await waitFor('the first POST /connect', () => {
      if (exited) throw new Error(`the script exited (${JSON.stringify(exited)}):\n${stderr}`);
      return router.calls.length >= 1;
    });
    // Same region over the private address, the other region (known from its annotation) over
    // the public one, and the known peer from KNOWN_PEERS.
    assert.deepEqual(router.calls[0], ['10.0.0.2', '192.0.2.77', '203.0.113.1']);
  });

  test('SIGTERM: the script stops and exits 0, without a stack trace', async () => {
    assert.ok(child, 'the script runs');
    child.kill('SIGTERM');
    await waitFor('exit', () => exited !== undefined);
    assert.deepEqual(exited, { code: 0, signal: null }, stderr);
    assert.doesNotMatch(stderr, /^\s+at /m);
  });
});
