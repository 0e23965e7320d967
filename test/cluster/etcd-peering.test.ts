// Through the CLI against the fake API server: Calico's etcd datastore (Secret calico-etcd-secrets
// from the TLS files, never printed, re-apply writes nothing, a changed file updates it) and
// `status` for Weave's region-aware peering side-car.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeObject } from '../fake-apiserver/resources.ts';
import { type Cli, type Env, netpack, setup } from './helpers.ts';

const CA =
  '-----BEGIN CERTIFICATE-----\nRkFLRS1DQS1mb3ItbmV0cGFjay10ZXN0cy1vbmx5\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nRkFLRS1DTElFTlQtQ0VSVC1uZXRwYWNr\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nRkFLRS1QUklWQVRFLUtFWS1uZXRwYWNr\n-----END PRIVATE KEY-----\n';
const KEY2 = '-----BEGIN PRIVATE KEY-----\nUk9UQVRFRC1QUklWQVRFLUtFWS0y\n-----END PRIVATE KEY-----\n';

/** Every way a value could leak: as written, trimmed, base64 (as in the Secret), and its body line. */
function forms(v: string): string[] {
  const body = v.split('\n')[1]!;
  return [v, v.trim(), Buffer.from(v).toString('base64'), Buffer.from(v.trim()).toString('base64'), body];
}

function assertClean(outputs: Cli[], secrets: string[]): void {
  assert.ok(outputs.length > 0);
  for (const [i, o] of outputs.entries()) {
    for (const s of secrets) {
      assert.ok(!o.stdout.includes(s), `output ${i}: stdout shows a secret: ${o.stdout.slice(0, 300)}`);
      assert.ok(!o.stderr.includes(s), `output ${i}: stderr shows a secret: ${o.stderr.slice(0, 300)}`);
    }
  }
}

const etcdYaml = `network:
  provider: calico
  pod_network_cidr: 10.244.0.0/16
  calico:
    datastore: etcd
    etcd:
      endpoints:
        - https://192.0.2.20:2379
      ca_file: ca.pem
      cert_file: client.pem
      key_file: client-key.pem
`;

const decode = (secret: KubeObject, key: string) =>
  Buffer.from((secret.data as Record<string, string>)[key]!, 'base64').toString('utf8');

describe('calico etcd datastore through apply', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  it('creates calico-etcd-secrets from the TLS files, never prints them, re-applies nothing, follows a changed file', async () => {
    env = await setup();
    env.file('ca.pem', CA);
    env.file('client.pem', CERT);
    env.file('client-key.pem', KEY);
    const file = env.file('cluster.yml', etcdYaml);
    const outputs: Cli[] = [];
    const np = async (...argv: string[]) => {
      const r = await env.np(...argv);
      outputs.push(r);
      return r;
    };

    const render = await netpack(['render', '-f', file]);
    outputs.push(render);
    assert.equal(render.code, 0, render.stderr);
    assert.match(render.stderr, /calico-etcd-secrets/, 'render says apply will create the Secret');
    const before = await np('diff', '-f', file, '-v');
    assert.equal(before.code, 1);
    assert.equal((await np('apply', '-f', file, '--dry-run', '-v')).code, 0);
    assert.equal(env.server.store.find('Secret', 'calico-etcd-secrets', 'kube-system'), undefined);

    const applied = await np('apply', '-f', file, '--no-wait', '-v');
    assert.equal(applied.code, 0, applied.stderr);
    const secret = env.server.store.find('Secret', 'calico-etcd-secrets', 'kube-system')!;
    assert.ok(secret, 'Secret calico-etcd-secrets created');
    assert.equal(decode(secret, 'etcd-ca'), CA);
    assert.equal(decode(secret, 'etcd-cert'), CERT);
    assert.equal(decode(secret, 'etcd-key'), KEY);
    assert.equal(secret.metadata.labels?.['app.kubernetes.io/managed-by'], 'netpack');
    // No IPPool in the Kubernetes API with etcd: calico-node keeps its pools in etcd.
    assert.equal(env.server.store.find('IPPool', 'default-ipv4-ippool'), undefined);
    const config = env.server.store.find('ConfigMap', 'calico-config', 'kube-system')!;
    assert.equal((config.data as Record<string, string>).etcd_endpoints, 'https://192.0.2.20:2379');

    // Re-apply and diff: nothing to write.
    const n = env.server.writes().length;
    const same = await np('diff', '-f', file, '-v');
    assert.equal(same.code, 0, same.stdout);
    const again = await np('apply', '-f', file, '--no-wait', '-v');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(env.server.writes().slice(n), []);
    await np('status');
    await np('status', '-o', 'json');

    // A new key file: the Secret follows the files (unlike the create-only weave password).
    env.file('client-key.pem', KEY2);
    const diff = await np('diff', '-f', file, '-v');
    assert.equal(diff.code, 1);
    assert.match(
      diff.stdout,
      /~ change Secret\/kube-system\/calico-etcd-secrets\n {4}~ data\.etcd-key: "\(redacted\)" -> "\(redacted\)"/,
    );
    const m = env.server.writes().length;
    const rotated = await np('apply', '-f', file, '--no-wait', '-v');
    assert.equal(rotated.code, 0, rotated.stderr);
    // Besides the lock's Lease, taken and released.
    const writes = env.server
      .writes()
      .slice(m)
      .filter((w) => w.resource !== 'leases');
    assert.deepEqual(
      writes.map((w) => `${w.verb} ${w.resource}/${w.name}`),
      ['apply secrets/calico-etcd-secrets'],
    );
    const after = env.server.store.find('Secret', 'calico-etcd-secrets', 'kube-system')!;
    assert.equal(after.metadata.uid, secret.metadata.uid);
    assert.equal(decode(after, 'etcd-key'), KEY2);
    assert.equal(decode(after, 'etcd-ca'), CA);
    assert.equal((await np('diff', '-f', file)).code, 0);

    assertClean(outputs, [CA, CERT, KEY, KEY2].flatMap(forms));
  });

  it('a missing TLS file is an error before any request', async () => {
    env = await setup();
    env.file('ca.pem', CA);
    env.file('client.pem', CERT);
    const r = await env.np('apply', '-f', env.file('cluster.yml', etcdYaml), '--no-wait');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /key_file/);
    assert.equal(env.server.requests.length, 0);
  });
});

interface StatusJson {
  healthy: boolean;
  checks: { check: string; ok: boolean; detail: string }[];
  findings: {
    severity: string;
    reason: string;
    subject: string;
    message: string;
    cause?: string;
    fix?: string;
  }[];
}

const WEAVE_YAML =
  'network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n  node_local_dns_cache: false\n';

describe('status: weave peering', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  /**
   * Three nodes in two regions with Weave applied, with or without
   * `network.weave.peering.enabled: true`; then every DaemonSet rolls out.
   */
  async function regionalCluster(peering: boolean): Promise<void> {
    env = await setup({ nodes: 0 });
    env.server.addNodes(2, { 'topology.kubernetes.io/region': 'eu-west' });
    env.server.addNodes(1, { 'topology.kubernetes.io/region': 'us-east' });
    const yaml = peering ? `${WEAVE_YAML}  weave:\n    peering:\n      enabled: true\n` : WEAVE_YAML;
    const r = await env.np('apply', '-f', env.file('cluster.yml', yaml), '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    env.server.rollout.settle();
  }

  it('with the side-car: says peering is handled by it, and names the node where it is not ready and why', async () => {
    await regionalCluster(true);
    const ds = env.server.store.find('DaemonSet', 'weave-net', 'kube-system')!;
    const containers = (ds.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec
      .containers;
    assert.deepEqual(
      containers.map((c) => c.name),
      ['weave', 'weave-npc', 'weave-peers'],
    );
    const ok = await env.np('status');
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(
      ok.stdout,
      /weave peering \(side-car weave-peers\)\s+yes\s+handled by the weave-peers side-car/,
    );
    assert.match(
      ok.stdout,
      /regions\s+yes\s+nodes span eu-west, us-east; peering handled by the weave-peers side-car/,
    );

    // The side-car on node-2 crash-loops; weave and weave-npc there are fine.
    const podType = env.server.store.registry.byKind('v1', 'Pod')!;
    const pod = env.server.store
      .all('Pod')
      .find(
        (p) =>
          (p.spec as { nodeName: string }).nodeName === 'node-2' && p.metadata.name!.startsWith('weave-net-'),
      )!;
    const status = structuredClone(pod.status) as {
      conditions: { type: string; status: string }[];
      containerStatuses: Record<string, unknown>[];
    };
    status.conditions = status.conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
    status.containerStatuses = status.containerStatuses.map((c) =>
      c.name === 'weave-peers'
        ? {
            ...c,
            ready: false,
            restartCount: 4,
            state: {
              waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' },
            },
            lastState: {
              terminated: {
                exitCode: 2,
                reason: 'Error',
                message: 'netpack: cannot list nodes: 403 Forbidden',
              },
            },
          }
        : c,
    );
    env.server.store.commit(podType, { ...pod, apiVersion: 'v1', kind: 'Pod', status });

    const bad = await env.np('status', '-o', 'json');
    assert.equal(bad.code, 1, bad.stdout);
    const report = JSON.parse(bad.stdout) as StatusJson;
    assert.deepEqual(
      report.findings.map((f) => `${f.reason} ${f.subject}`),
      ['PeeringSidecarNotReady node node-2'],
    );
    const f = report.findings[0]!;
    assert.equal(f.severity, 'error');
    assert.match(f.cause!, /container weave-peers: waiting CrashLoopBackOff/);
    assert.match(f.cause!, /4 restarts/);
    assert.match(f.cause!, /last terminated Error exit 2: netpack: cannot list nodes: 403 Forbidden/);
    assert.match(f.fix!, /-c weave-peers --previous/);
    const network = report.checks.find((c) => c.check === 'network DaemonSet kube-system/weave-net')!;
    assert.deepEqual(network, { check: network.check, ok: true, detail: '3/3 nodes ready' });
    const text = await env.np('status');
    assert.match(text.stdout, /error PeeringSidecarNotReady: node node-2: the weave-peers peering side-car/);
    assert.match(
      text.stdout,
      /weave peering \(side-car weave-peers\)\s+NO\s+.*ready on 2\/3 nodes; not ready on: node-2/,
    );
  });

  it('without the side-car, nodes in several regions: a warning suggesting network.weave.peering.enabled', async () => {
    await regionalCluster(false);
    const r = await env.np('status', '-o', 'json');
    assert.equal(r.code, 0, r.stdout);
    const report = JSON.parse(r.stdout) as StatusJson;
    assert.deepEqual(
      report.findings.map((f) => `${f.severity} ${f.reason}`),
      ['warning RegionsWithoutPeering'],
    );
    assert.match(report.findings[0]!.message, /nodes span regions eu-west, us-east/);
    assert.match(report.findings[0]!.fix!, /network\.weave\.peering\.enabled: true/);
    assert.ok(!report.checks.some((c) => c.check.startsWith('weave peering')));
  });
});
