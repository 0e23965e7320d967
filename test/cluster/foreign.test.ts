/**
 * A pod network netpack did not apply is seen, whatever its labels: another provider than the
 * config's is refused before anything is written, naming what runs and where; status reports it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { daemonSet, installPharosWeave, kubectlApply } from './foreign-fixtures.ts';
import { calicoYaml, type Env, POD_CIDR, setup } from './helpers.ts';

const weaveYaml = `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n`;

describe('a pod network someone else installed', () => {
  let env: Env;
  beforeEach(async () => {
    env = await setup();
  });
  afterEach(() => env.close());

  it('upstream Weave applied with kubectl: apply and diff of Calico are refused with 0 writes', async () => {
    await installPharosWeave(env.server, POD_CIDR, 'hunter2-hunter2');
    const before = env.server.writes().length;
    const file = env.file('cluster.yml', calicoYaml());
    const diff = await env.np('diff', '-f', file);
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /^! refused: network\.provider is weave .*DaemonSet kube-system\/weave-net/m);
    const r = await env.np('apply', '-f', file, '--no-wait', '--force');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /refused: network\.provider is weave in the cluster \(another pod network runs: weave \(DaemonSet kube-system\/weave-net\)\)/,
    );
    assert.deepEqual(env.server.writes().slice(before), [], 'nothing written, not even the lock');
    assert.equal(env.server.store.find('DaemonSet', 'calico-node', 'kube-system'), undefined);
  });

  for (const [name, ns, image, provider] of [
    ['cilium', 'kube-system', 'quay.io/cilium/cilium:v1.15.1', 'cilium'],
    ['kube-flannel-ds', 'kube-system', 'docker.io/flannel/flannel:v0.24.2', 'flannel'],
    ['my-overlay', 'default', 'registry.example/mirror/calico/node:v3.27.0', 'calico'],
  ] as const) {
    it(`a ${provider} DaemonSet ${ns}/${name} (matched by ${name === 'my-overlay' ? 'image' : 'name'}) refuses Weave`, async () => {
      await kubectlApply(env.server, daemonSet(ns, name, image));
      const before = env.server.writes().length;
      const r = await env.np('apply', '-f', env.file('cluster.yml', weaveYaml), '--no-wait');
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`network\\.provider is ${provider} in the cluster .*DaemonSet ${ns}/${name}`),
      );
      assert.deepEqual(env.server.writes().slice(before), []);
    });
  }

  it("status reports a foreign network beside netpack's", async () => {
    const file = env.file('cluster.yml', calicoYaml());
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    await kubectlApply(env.server, daemonSet('kube-system', 'cilium', 'quay.io/cilium/cilium:v1.15.1'));
    const r = await env.np('status', '-o', 'json');
    const report = JSON.parse(r.stdout) as {
      healthy: boolean;
      findings: { reason: string; subject: string }[];
    };
    const found = report.findings.filter((f) => f.reason === 'ForeignNetwork');
    assert.deepEqual(
      found.map((f) => f.subject),
      ['DaemonSet kube-system/cilium'],
    );
    assert.equal(report.healthy, false);
    assert.equal(r.code, 1);
  });
});
