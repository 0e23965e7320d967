// Through the CLI against the fake API server: turning node_local_dns_cache off on a cluster
// where it runs is refused by apply and diff until --allow-dns-cache-removal confirms it, and
// status reports kubelets whose clusterDNS (read from configz through the node proxy) has
// nothing answering on it.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { dnsCacheRemovalRefusals } from '../../src/cluster/dns-cache-guard.ts';
import { defaultNetwork } from '../../src/config/resolve.ts';
import { kubeadmKubeletConfig } from '../fake-apiserver/server.ts';
import { calicoYaml, type Env, ours, setup } from './helpers.ts';

const NLD = 'DaemonSet/kube-system/node-local-dns';

describe('turning the DNS cache off on a running cluster', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  it('apply and diff refuse it, say what to change on the kubelets, and write nothing; the flag lets it through', async () => {
    env = await setup();
    const on = env.file('on.yml', calicoYaml());
    assert.equal((await env.np('apply', '-f', on, '--no-wait')).code, 0);
    assert.ok(ours(env.server).includes(NLD));
    const off = env.file('off.yml', calicoYaml('  node_local_dns_cache: false\n'));

    const writesBefore = env.server.writes().length;
    const applied = await env.np('apply', '-f', off, '--no-wait');
    assert.equal(applied.code, 1);
    const refusal = applied.lines.find((l) => l.includes('refused: network.node_local_dns_cache'));
    assert.ok(refusal, applied.stderr);
    assert.match(refusal, /kube-dns Service IP 10\.96\.0\.10/);
    assert.match(refusal, /--allow-dns-cache-removal/);
    assert.equal(env.server.writes().length, writesBefore, 'a refused apply writes nothing');
    assert.ok(ours(env.server).includes(NLD));

    const diffed = await env.np('diff', '-f', off);
    assert.equal(diffed.code, 1);
    assert.match(diffed.stdout, /^! refused: network\.node_local_dns_cache/m);
    const allowedDiff = await env.np('diff', '-f', off, '--allow-dns-cache-removal');
    assert.doesNotMatch(allowedDiff.stdout, /refused/);
    assert.match(allowedDiff.stdout, /node-local-dns/, 'the prune is shown');
    assert.equal(env.server.writes().length, writesBefore, 'diff writes nothing');

    const confirmed = await env.np('apply', '-f', off, '--no-wait', '--allow-dns-cache-removal');
    assert.equal(confirmed.code, 0, confirmed.stderr);
    assert.ok(!ours(env.server).includes(NLD), 'node-local-dns pruned once confirmed');
    // Off stays off: the next apply needs no flag.
    assert.equal((await env.np('apply', '-f', off, '--no-wait')).code, 0);
  });

  it('the live DaemonSet is enough when the state says nothing (a lost state ConfigMap)', () => {
    const network = { ...defaultNetwork(), node_local_dns_cache: { enabled: false } };
    const live = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-local-dns', namespace: 'kube-system' },
    };
    const [r] = dnsCacheRemovalRefusals(network, undefined, [live], false);
    assert.equal(r?.field, 'network.node_local_dns_cache');
    assert.equal(r?.source, 'daemonset');
    assert.deepEqual(dnsCacheRemovalRefusals(network, undefined, [live], true), []);
    assert.deepEqual(
      dnsCacheRemovalRefusals(network, undefined, [], false),
      [],
      'nothing runs: nothing to refuse',
    );
  });
});

describe('status: kubelet clusterDNS through configz', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  it('reports the kubelet pointing at 169.254.20.10 once node-local-dns is gone, and not the others', async () => {
    env = await setup({
      kubeletConfig: (node) =>
        node === 'node-3'
          ? 'unreachable'
          : kubeadmKubeletConfig(node === 'node-1' ? ['169.254.20.10'] : ['10.96.0.10']),
    });
    // The cluster's kube-dns Service, as kubeadm made it.
    const svc = env.server.store.registry.byKind('v1', 'Service')!;
    env.server.store.commit(svc, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', uid: 'uid-kube-dns' },
      spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }] },
    });
    const off = env.file('off.yml', calicoYaml('  node_local_dns_cache: false\n'));
    assert.equal((await env.np('apply', '-f', off, '--no-wait')).code, 0);
    const r = await env.np('status', '-f', off, '-o', 'json');
    const report = JSON.parse(r.stdout) as { findings: { reason: string; subject: string; fix?: string }[] };
    const dns = report.findings.filter((f) => f.reason === 'KubeletDnsUnanswered');
    assert.deepEqual(
      dns.map((f) => f.subject),
      ['node node-1'],
      'node-2 points at kube-dns; node-3 is not shown by the API server',
    );
    assert.match(dns[0]!.fix!, /10\.96\.0\.10/);
    const configz = env.server.requests.filter((q) => q.path.endsWith('/proxy/configz'));
    assert.equal(configz.length, 3, 'one configz read per node');
  });

  it('an API server that does not show configz: asked once, nothing reported', async () => {
    env = await setup();
    const file = env.file('cluster.yml', calicoYaml());
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    const r = await env.np('status', '-f', file, '-o', 'json');
    const report = JSON.parse(r.stdout) as { findings: { reason: string }[] };
    assert.ok(!report.findings.some((f) => f.reason === 'KubeletDnsUnanswered'));
    const configz = env.server.requests.filter((q) => q.path.endsWith('/proxy/configz'));
    assert.equal(configz.length, 1);
    assert.equal(configz[0]!.status, 404);
  });

  it('--kubelet-sample bounds the configz reads and the check says how many nodes were asked', async () => {
    env = await setup({ kubeletConfig: () => kubeadmKubeletConfig() });
    const file = env.file('cluster.yml', calicoYaml());
    assert.equal((await env.np('apply', '-f', file, '--no-wait')).code, 0);
    const r = await env.np('status', '-f', file, '-o', 'json', '--kubelet-sample', '2');
    const report = JSON.parse(r.stdout) as { checks: { check: string; detail: string }[] };
    const configz = env.server.requests.filter((q) => q.path.endsWith('/proxy/configz'));
    assert.equal(configz.length, 2);
    const check = report.checks.find((c) => c.check === 'kubelet clusterDNS answered');
    assert.match(check!.detail, /^\d\/2 kubelets.*; 2 of 3 nodes asked/);
    const none = await env.np('status', '-f', file, '--kubelet-sample', '0');
    assert.ok(none.code === 0 || none.code === 1, none.stderr);
    assert.equal(
      env.server.requests.filter((q) => q.path.endsWith('/proxy/configz')).length,
      2,
      'none asked',
    );
    assert.equal((await env.np('status', '--kubelet-sample', 'some')).code, 2);
  });
});
