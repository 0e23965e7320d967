// netpack apply / diff / status against the fake API server, through the real CLI and client.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { calicoYaml, type Env, netpack, ours, setup } from './helpers.ts';

const NLD_OFF = '  node_local_dns_cache:\n    enabled: false\n';

describe('netpack apply', () => {
  let env: Env;
  beforeEach(async () => {
    env = await setup();
  });
  afterEach(async () => {
    await env.close();
  });

  it('applies a fresh Calico render: every object, labelled, with the state stored', async () => {
    const file = env.file('cluster.yml', calicoYaml());
    const rendered = await netpack(['render', '-f', file, '-o', 'json']);
    const items = (
      JSON.parse(rendered.stdout) as {
        items: { kind: string; metadata: { name: string; namespace?: string } }[];
      }
    ).items;
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`applied: ${items.length} created`));
    for (const o of items) {
      const live = env.server.store.find(o.kind, o.metadata.name, o.metadata.namespace);
      assert.ok(live, `${o.kind}/${o.metadata.name} missing`);
      assert.equal(live.metadata.labels?.['app.kubernetes.io/managed-by'], 'netpack');
    }
    const state = env.server.store.find('ConfigMap', 'netpack-state', 'kube-system');
    assert.ok(state);
    const data = state.data as Record<string, string>;
    assert.match(data['network.yaml']!, /provider: calico/);
    assert.equal((data['inventory.yaml']!.match(/^- apiVersion/gm) ?? []).length, items.length);
    // Every write is server-side apply with field manager netpack, and strict about fields
    // (but for the lock, a Lease created and deleted, gone afterwards).
    assert.equal(env.server.store.find('Lease', 'netpack-lock', 'kube-system'), undefined);
    for (const w of env.server.writes().filter((w) => w.resource !== 'leases')) {
      assert.equal(w.verb, 'apply');
      assert.equal(w.query.fieldManager, 'netpack');
      assert.equal(w.query.fieldValidation, 'Strict');
    }
  });

  it('re-applying the same config sends zero writes', async () => {
    const file = env.file('cluster.yml', calicoYaml());
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    const before = env.server.writes().length;
    const r = await env.np('apply', '-f', file, '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(env.server.writes().slice(before), []);
    assert.match(r.stdout, /0 created, 0 configured, \d+ unchanged, 0 pruned/);
  });

  it('a config change updates the objects in place (same uid), and only those', async () => {
    assert.equal((await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait')).code, 0);
    const pool = env.server.store.find('IPPool', 'default-ipv4-ippool')!;
    const before = env.server.writes().length;
    const changed = calicoYaml('  calico:\n    nat_outgoing: false\n');
    const diff = await env.np('diff', '-f', env.file('b.yml', changed));
    assert.equal(diff.code, 1);
    assert.match(
      diff.stdout,
      /~ change IPPool\.crd\.projectcalico\.org\/default-ipv4-ippool\n {4}~ spec\.natOutgoing: true -> false/,
    );
    const r = await env.np('apply', '-f', env.file('b.yml', changed), '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    const after = env.server.store.find('IPPool', 'default-ipv4-ippool')!;
    assert.equal(after.metadata.uid, pool.metadata.uid);
    assert.equal((after.spec as { natOutgoing: boolean }).natOutgoing, false);
    const writes = env.server
      .writes()
      .slice(before)
      .filter((w) => w.resource !== 'leases');
    assert.ok(writes.every((w) => w.verb === 'apply'));
    assert.ok(writes.some((w) => w.resource === 'ippools'));
    assert.ok(
      writes.length < 6,
      `only the changed objects and the state: ${writes.map((w) => w.path).join(', ')}`,
    );
  });

  it('prunes node-local-dns when it is turned off, and nothing foreign', async () => {
    assert.equal((await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait')).code, 0);
    assert.ok(env.server.store.find('DaemonSet', 'node-local-dns', 'kube-system'));
    // Foreign objects with netpack-like names and even netpack's labels, never in its inventory.
    const cmType = env.server.store.registry.byKind('v1', 'ConfigMap')!;
    const labels = {
      'app.kubernetes.io/managed-by': 'netpack',
      'app.kubernetes.io/component': 'node-local-dns',
    };
    env.server.store.commit(cmType, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'node-local-dns', namespace: 'default', labels },
      data: {},
    });
    env.server.store.commit(cmType, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'node-local-dns-extra', namespace: 'kube-system', labels },
      data: {},
    });
    const off = env.file('b.yml', calicoYaml(NLD_OFF));
    // Removing a running DNS cache needs the operator's word (test/cluster/dns-cache.test.ts).
    const diff = await env.np('diff', '-f', off, '--allow-dns-cache-removal');
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /- prune {2}DaemonSet\.apps\/kube-system\/node-local-dns/);
    const r = await env.np('apply', '-f', off, '--no-wait', '--allow-dns-cache-removal');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(env.server.store.find('DaemonSet', 'node-local-dns', 'kube-system'), undefined);
    assert.equal(env.server.store.find('ConfigMap', 'node-local-dns', 'kube-system'), undefined);
    assert.ok(env.server.store.find('ConfigMap', 'node-local-dns', 'default'), 'foreign ConfigMap deleted');
    assert.ok(
      env.server.store.find('ConfigMap', 'node-local-dns-extra', 'kube-system'),
      'foreign ConfigMap deleted',
    );
    assert.ok(env.server.store.find('DaemonSet', 'calico-node', 'kube-system'));
    const deletes = env.server.writes().filter((w) => w.verb === 'delete' && w.resource !== 'leases');
    assert.ok(
      deletes.every((w) => w.path.includes('node-local-dns') || w.path.includes('kube-dns-upstream')),
      deletes.map((d) => d.path).join(', '),
    );
    // And the next apply of the same config changes nothing.
    const n = env.server.writes().length;
    assert.equal((await env.np('apply', '-f', off, '--no-wait')).code, 0);
    assert.equal(env.server.writes().length, n);
  });

  it('refuses a provider change and a pod CIDR change, leaving the cluster untouched', async () => {
    assert.equal((await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait')).code, 0);
    const before = env.server.writes().length;
    const snapshot = JSON.stringify(ours(env.server));
    const weave = await env.np(
      'apply',
      '-f',
      env.file('w.yml', `network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n`),
      '--no-wait',
      '--force',
    );
    assert.equal(weave.code, 1);
    assert.match(weave.stderr, /refused: network\.provider is calico in the applied state/);
    const cidr = await env.np(
      'apply',
      '-f',
      env.file('c.yml', calicoYaml().replace('10.244.0.0/16', '10.200.0.0/16')),
      '--no-wait',
      '--force',
    );
    assert.equal(cidr.code, 1);
    assert.match(cidr.stderr, /network\.pod_network_cidr is 10\.244\.0\.0\/16 in the applied state/);
    assert.match(cidr.stderr, /does not contain spec\.podCIDR 10\.244\.1\.0\/24 of node node-1/);
    assert.equal(env.server.writes().length, before);
    assert.equal(JSON.stringify(ours(env.server)), snapshot);
    const diff = await env.np(
      'diff',
      '-f',
      env.file('w.yml', 'network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n'),
    );
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /! refused: network\.provider/);
  });

  it('refuses a pod CIDR that disagrees with the live IPPool even without stored state', async () => {
    assert.equal((await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait')).code, 0);
    env.server.store.remove(
      env.server.store.registry.byKind('v1', 'ConfigMap')!,
      'kube-system',
      'netpack-state',
    );
    const before = env.server.writes().length;
    const r = await env.np(
      'apply',
      '-f',
      env.file('c.yml', calicoYaml().replace('10.244.0.0/16', '10.244.0.0/15')),
      '--no-wait',
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /spec\.cidr of Calico IPPool default-ipv4-ippool/);
    assert.equal(env.server.writes().length, before);
  });

  it('an invalid config sends zero requests', async () => {
    const r = await env.np(
      'apply',
      '-f',
      env.file('bad.yml', 'network:\n  provider: flannel\n'),
      '--no-wait',
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network\.provider/);
    assert.equal(env.server.requests.length, 0);
    const d = await env.np('diff', '-f', env.file('bad.yml', 'network:\n  pod_network_cidr: 10.0.0.0/33\n'));
    assert.equal(d.code, 2, 'an invalid config is an error for diff (>1), not a difference (1)');
    assert.equal(env.server.requests.length, 0);
  });

  it('--dry-run sends dryRun=All, stores nothing and changes nothing', async () => {
    const r = await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dry run, nothing changed/);
    assert.deepEqual(env.server.writes(), []);
    assert.ok(env.server.requests.some((q) => q.dryRun));
    assert.deepEqual(ours(env.server), []);
    assert.equal(env.server.store.find('ConfigMap', 'netpack-state', 'kube-system'), undefined);
  });

  it('delete --dry-run --yes names every object it would delete and writes nothing; delete --yes removes them', async () => {
    assert.equal((await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait')).code, 0);
    const applied = ours(env.server);
    const before = env.server.writes().length;
    const dry = await env.np('delete', '--dry-run', '--yes');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(env.server.writes().length, before);
    assert.match(dry.stdout, /would delete DaemonSet\.apps\/kube-system\/calico-node\n/);
    assert.match(
      dry.stdout,
      /would delete CustomResourceDefinition\.apiextensions\.k8s\.io\/ippools\.crd\.projectcalico\.org\n/,
    );
    assert.match(dry.stdout, new RegExp(`dry run: would delete ${applied.length - 1} objects and the state`));
    const r = await env.np('delete', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deleted DaemonSet\.apps\/kube-system\/calico-node$/m);
    assert.deepEqual(ours(env.server), []);
  });

  it('a missing --kubeconfig file and an unknown --context are usage errors (exit 2), sending nothing', async () => {
    const file = env.file('a.yml', calicoYaml());
    const missing = await netpack(['diff', '-f', file, '--kubeconfig', `${env.dir}/nope.kubeconfig`]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--kubeconfig .*nope\.kubeconfig: no such file/);
    const context = await env.np('status', '--context', 'nope');
    assert.equal(context.code, 2, context.stderr);
    assert.match(context.stderr, /--context nope: no such context \(the kubeconfig has: fake\)/);
    assert.equal(env.server.requests.length, 0);
  });

  it('diff exits 1 before an apply, 0 after, and never writes', async () => {
    const file = env.file('a.yml', calicoYaml());
    const before = await env.np('diff', '-f', file);
    assert.equal(before.code, 1);
    assert.match(before.stdout, /\+ create DaemonSet\.apps\/kube-system\/calico-node/);
    assert.deepEqual(env.server.writes(), []);
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    const n = env.server.writes().length;
    const same = await env.np('diff', '-f', file);
    assert.equal(same.code, 0, same.stdout);
    assert.equal(env.server.writes().length, n);
  });
});

describe('netpack apply: wait and status', () => {
  let env: Env;
  after(async () => {
    await env?.close();
  });

  it('waits for the rollout by watching, then status is healthy; crash-looping pods are findings', async () => {
    // The rollout starts only once apply watches the DaemonSets: it cannot be over before the
    // wait begins (then a list alone would see it done, and no watch would be needed).
    env = await setup();
    const file = env.file('a.yml', calicoYaml());
    const applying = env.np('apply', '-f', file, '--timeout', '30s');
    await env.server.nextRequest((q) => q.verb === 'watch' && q.resource === 'daemonsets');
    env.server.rollout.start(20);
    const r = await applying;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /DaemonSet\.apps\/kube-system\/calico-node updated 3\/3 ready 3\/3 rolled out/);
    assert.match(r.stdout, /rolled out\n$/);
    const ok = await env.np('status', '-o', 'json');
    assert.equal(ok.code, 0, ok.stdout);

    env.server.rollout.failNodes(['node-2'], 'CrashLoopBackOff');
    env.server.store.remove(
      env.server.store.registry.byKind('v1', 'Pod')!,
      'kube-system',
      env.server.store
        .all('Pod')
        .find(
          (p) =>
            p.spec &&
            (p.spec as { nodeName: string }).nodeName === 'node-2' &&
            p.metadata.name!.startsWith('calico-node'),
        )!.metadata.name!,
    );
    // The fake's rollout controller recreates the pod as crash-looping on its next ticks: poll
    // status until it reports the node (bounded), rather than sleeping a guessed time.
    let bad = await env.np('status', '-o', 'json');
    const crashLooping = (out: string) =>
      /"reason":\s*"NetworkPodNotReady",\s*"subject":\s*"node node-2"/.test(out);
    for (let i = 0; i < 100 && !crashLooping(bad.stdout); i++) {
      await new Promise((res) => setTimeout(res, 50));
      bad = await env.np('status', '-o', 'json');
    }
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.stdout) as {
      healthy: boolean;
      findings: { reason: string; subject: string; cause?: string }[];
    };
    assert.equal(report.healthy, false);
    const f = report.findings.find((x) => x.reason === 'NetworkPodNotReady' && x.subject === 'node node-2');
    assert.ok(f, JSON.stringify(report.findings));
    assert.match(f.cause!, /Running/);
    assert.match(f.cause!, /CrashLoopBackOff/);
    assert.match(f.cause!, /5 restarts/);
    assert.match(f.cause!, /last terminated Error exit 1/);
    const text = await env.np('status');
    assert.match(text.stdout, /NetworkPodNotReady: node node-2/);
    assert.match(text.stdout, /NOT healthy/);
  });

  it('on timeout prints the status findings of what is not ready', async () => {
    await env?.close();
    env = await setup({ rolloutTickMs: 20 });
    env.server.rollout.failNodes(['node-3'], 'ImagePullBackOff');
    const r = await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--timeout', '2s');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out after 2s waiting for .*DaemonSet\.apps\/kube-system\/calico-node/);
    assert.match(
      r.stderr,
      /NetworkPodNotReady: node node-3: .*\n {4}cause: pod .* Pending; container .*waiting ImagePullBackOff/,
    );
  });
});
