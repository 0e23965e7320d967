/**
 * A lost state is not an open door: with the state ConfigMap deleted, the guard reads the
 * running network from the cluster (network DaemonSet, kubernetes and kube-dns Service IPs,
 * weave-net's IPALLOC_RANGE, node podCIDRs) and refuses a change of any, writing nothing. (kube-dns
 * at another address than the config puts the cluster DNS: guard.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Env, POD_CIDR, setup } from './helpers.ts';

const weave = (extra = '', pod = POD_CIDR) =>
  `network:\n  provider: weave\n  pod_network_cidr: ${pod}\n${extra}`;

describe('apply without the state ConfigMap', () => {
  let env: Env;
  before(async () => {
    env = await setup();
    const svc = env.server.store.registry.byKind('v1', 'Service')!;
    for (const [ns, name, ip] of [
      ['default', 'kubernetes', '10.96.0.1'],
      ['kube-system', 'kube-dns', '10.96.0.10'],
    ] as const)
      env.server.store.commit(svc, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns },
        spec: { clusterIP: ip, ports: [{ port: 443 }] },
      });
    const r = await env.np('apply', '-f', env.file('a.yml', weave()), '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    const cm = env.server.store.registry.byKind('v1', 'ConfigMap')!;
    env.server.store.remove(cm, 'kube-system', 'netpack-state');
  });
  after(() => env.close());

  const refused = async (name: string, text: string, want: RegExp) => {
    const before = env.server.writes().length;
    const r = await env.np('apply', '-f', env.file(name, text), '--no-wait', '--force');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, want);
    assert.equal(env.server.writes().length, before, 'nothing written');
  };

  it('a service_cidr that does not hold the kubernetes Service IP is refused', () =>
    refused(
      'b.yml',
      weave('  service_cidr: 10.100.0.0/16\n'),
      /refused: network\.service_cidr is 10\.96\.0\.1 in the cluster \(ClusterIP of Service default\/kubernetes\)/,
    ));

  it("a pod_network_cidr other than weave-net's IPALLOC_RANGE is refused", () =>
    refused(
      'd.yml',
      weave('', '10.240.0.0/12'),
      /refused: network\.pod_network_cidr is 10\.244\.0\.0\/16 in the cluster \(IPALLOC_RANGE of DaemonSet kube-system\/weave-net\)/,
    ));

  it('another provider is refused: weave-net runs', () =>
    refused(
      'e.yml',
      `network:\n  provider: calico\n  pod_network_cidr: ${POD_CIDR}\n`,
      /network\.provider is weave in the cluster/,
    ));

  it('the same config goes through and records the state again', async () => {
    const r = await env.np('apply', '-f', env.file('f.yml', weave()), '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(env.server.store.find('ConfigMap', 'netpack-state', 'kube-system'));
  });
});
