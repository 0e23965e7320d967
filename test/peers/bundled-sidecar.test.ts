/**
 * The side-car as it ships: `scripts/bundle.mjs` builds `netpack.cjs` (into a temporary
 * directory, so the tree's dist/ is left alone), and `node netpack.cjs peers run` runs as a child
 * process against the fake API server and a fake Weave router on 127.0.0.1, with kubelet DNAT on
 * and stand-ins for `iptables` / `iptables-restore` first on PATH that record what they are asked.
 * This proves what the in-process side-car tests cannot: that the bundle (client-node left
 * external) loads the Kubernetes client, reads the flags, serves /healthz and /metrics, and shuts
 * down cleanly on SIGTERM. No timing assertions: every wait is "until X happens" with a cap.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../fake-apiserver/index.ts';
import { buildBundle } from '../support/bundle.ts';
import { RecordingRouter } from '../support/weave-router.ts';

const _repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

async function waitFor(what: string, pred: () => boolean, capMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > capMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function nodeObject(
  name: string,
  region: string,
  internal: string,
  external: string,
  bridgeIp?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/region': region },
      ...(bridgeIp ? { annotations: { 'weave.kontena.io/bridge-ip': bridgeIp } } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: internal },
        { type: 'ExternalIP', address: external },
      ],
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(0).toISOString() }],
    },
  } as KubeObject;
}

/** A stand-in for `cmd` that appends `cmd ARGS` (and, for iptables-restore, its input) to `log`. */
function fakeTool(dir: string, cmd: string, log: string): void {
  const file = join(dir, cmd);
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      `echo "${cmd} $*" >> '${log}'`,
      // Read stdin to its end before exiting, as iptables-restore does. (The side-car writes to
      // every tool's stdin; a tool that exits before that write can make it fail with EPIPE, which
      // src/peers/kube.ts does not handle yet: that race is not what this test is about.)
      cmd === 'iptables-restore' ? `sed 's/^/  /' >> '${log}'` : 'cat > /dev/null',
      // `-C` (check for a jump): absent, so the side-car inserts it.
      'case " $* " in *" -C "*) exit 1 ;; esac',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
}

describe('bundled side-car: node dist/netpack.cjs peers run as a child process', () => {
  let dir: string;
  let bundle: string;
  let iptablesLog: string;
  let api: FakeApiServer;
  const router = new RecordingRouter();
  let child: ChildProcess | undefined;
  let stderr = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let healthUrl = '';
  const put = (o: KubeObject) => api.store.commit(api.store.registry.byKind('v1', 'Node')!, o);

  before(async () => {
    ({ dir, cli: bundle } = buildBundle());

    const bin = join(dir, 'bin');
    mkdirSync(bin);
    iptablesLog = join(dir, 'iptables.log');
    writeFileSync(iptablesLog, '');
    fakeTool(bin, 'iptables', iptablesLog);
    fakeTool(bin, 'iptables-restore', iptablesLog);

    api = await startFakeApiServer();
    put(nodeObject('eu-1', 'eu', '10.0.0.1', '198.51.100.1'));
    put(nodeObject('eu-2', 'eu', '10.0.0.2', '198.51.100.2'));
    put(nodeObject('us-1', 'us', '10.1.0.1', '203.0.113.1', '10.40.0.1'));
    const routerUrl = await router.start();

    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    // The bundle must run on plain node: no tsx loader inherited from the test runner.
    delete env.NODE_OPTIONS;
    delete env.KUBECONFIG;
    delete env.NODE_NAME;
    delete env.KNOWN_PEERS;
    delete env.KUBELET_DNAT;
    delete env.PEERS_LISTEN;
    child = spawn(
      process.execPath,
      [
        bundle,
        'peers',
        'run',
        '--kubeconfig',
        api.kubeconfigPath,
        '--node-name',
        'eu-1',
        '--known-peers',
        '192.0.2.77',
        '--router-url',
        routerUrl,
        '--listen',
        '127.0.0.1:0',
        '--resync',
        '3600',
        '--router-check',
        '1',
        '--kubelet-dnat',
      ],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout!.resume();
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    await waitFor('the start-up line with the metrics address', () => {
      if (exited) throw new Error(`side-car exited early (${JSON.stringify(exited)}):\n${stderr}`);
      const m = /\/healthz and \/metrics on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) healthUrl = `http://127.0.0.1:${m[1]}`;
      return m !== null;
    });
  });

  after(async () => {
    if (child && !exited) child.kill('SIGKILL');
    await router.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('posts this node’s peers: private in its region, public across, the known peer', async () => {
    await waitFor('first /connect', () => router.calls.length >= 1);
    assert.deepEqual(router.calls[0], ['10.0.0.2', '192.0.2.77', '203.0.113.1']);
    assert.match(stderr, /node eu-1, router http:\/\/127\.0\.0\.1:\d+, .*kubelet DNAT on/);
  });

  test('re-posts when a node joins', async () => {
    const before = router.calls.length;
    put(nodeObject('us-2', 'us', '10.1.0.2', '203.0.113.2', '10.40.1.1'));
    await waitFor('call for us-2', () => router.calls.some((c) => c.includes('203.0.113.2')));
    assert.equal(router.calls.length, before + 1, JSON.stringify(router.calls));
    assert.deepEqual(router.calls.at(-1), ['10.0.0.2', '192.0.2.77', '203.0.113.1', '203.0.113.2']);
    // The side-car logs the change once the router answered: the line may trail the call.
    await waitFor('the log line of the re-post', () => /peers \(4\): \+203\.0\.113\.2$/m.test(stderr));
  });

  test('kubelet DNAT through iptables-restore for the other region’s nodes, jumps inserted', async () => {
    await waitFor('DNAT rule for us-2', () => readFileSync(iptablesLog, 'utf8').includes('10.40.1.1:10250'));
    const log = readFileSync(iptablesLog, 'utf8');
    assert.match(log, /^iptables-restore --noflush -w$/m);
    assert.match(log, /-A NETPACK-KUBELET-DNAT -d 10\.1\.0\.1\/32 .* --to-destination 10\.40\.0\.1:10250/);
    assert.match(log, /-A NETPACK-KUBELET-DNAT -d 10\.1\.0\.2\/32 .* --to-destination 10\.40\.1\.1:10250/);
    assert.match(log, /^iptables -w -t nat -I OUTPUT 1 -j NETPACK-KUBELET-DNAT$/m);
    assert.match(log, /^iptables -w -t nat -I PREROUTING 1 -j NETPACK-KUBELET-DNAT$/m);
  });

  test('serves /healthz and /metrics', async () => {
    const h = await fetch(`${healthUrl}/healthz`);
    assert.equal(h.status, 200, await h.text());
    const m = await (await fetch(`${healthUrl}/metrics`)).text();
    assert.match(m, /^netpack_peers 4$/m);
    assert.match(m, /^netpack_peers_nodes 4$/m);
    assert.match(m, /^netpack_peers_kubelet_dnat_rules 2$/m);
    assert.match(m, /^netpack_peers_last_sync_timestamp_seconds [1-9]\d*(\.\d+)?$/m);
    assert.match(m, /^netpack_peers_syncs_total\{reason="change"\} [1-9]\d*$/m);
    assert.equal((await fetch(`${healthUrl}/nope`)).status, 404);
  });

  test('SIGTERM: removes the DNAT rules and exits 0', async () => {
    const before = readFileSync(iptablesLog, 'utf8').length;
    child!.kill('SIGTERM');
    await waitFor('exit', () => exited !== undefined);
    assert.deepEqual(exited, { code: 0, signal: null }, stderr);
    const cleanup = readFileSync(iptablesLog, 'utf8').slice(before);
    assert.deepEqual(
      cleanup.trim().split('\n'),
      [
        'iptables -w -t nat -D OUTPUT -j NETPACK-KUBELET-DNAT',
        'iptables -w -t nat -D PREROUTING -j NETPACK-KUBELET-DNAT',
        'iptables -w -t nat -F NETPACK-KUBELET-DNAT',
        'iptables -w -t nat -X NETPACK-KUBELET-DNAT',
      ],
      cleanup,
    );
    assert.match(stderr, /netpack peers: SIGTERM, stopping/);
    assert.match(stderr, /kubelet DNAT: rules removed/);
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  });
});
