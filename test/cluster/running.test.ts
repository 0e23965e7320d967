// running.ts on its own: which pod network a DaemonSet runs (by name, else by image), what
// IPPools and a Tigera Installation say, the Service IPs and weave-net's allocation range.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  detectNetworks,
  networkOfDaemonSet,
  serviceIps,
  weaveAllocRange,
} from '../../src/cluster/running.ts';
import type { KubeObject } from '../../src/cluster/types.ts';

function ds(name: string, images: string[], env: { name: string; value: string }[] = []): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      template: {
        spec: {
          containers: images.map((image, i) => ({ name: `c${i}`, image, ...(i === 0 ? { env } : {}) })),
        },
      },
    },
  };
}

describe('networkOfDaemonSet', () => {
  const rows: [string, string[], string | undefined][] = [
    ['weave-net', ['weaveworks/weave-kube:2.8.1'], 'weave'],
    ['calico-node', ['docker.io/calico/node:v3.27.0'], 'calico'],
    ['canal', ['calico/node:v3.27.0', 'flannel/flannel:v0.24.2'], 'canal'],
    ['kube-flannel-ds', ['docker.io/flannel/flannel:v0.24.2'], 'flannel'],
    ['kube-flannel-ds-amd64', ['quay.io/coreos/flannel:v0.11.0-amd64'], 'flannel'],
    ['cilium', ['quay.io/cilium/cilium:v1.15.1@sha256:abc'], 'cilium'],
    ['kube-router', ['docker.io/cloudnativelabs/kube-router'], 'kube-router'],
    ['antrea-agent', ['antrea/antrea-agent-ubuntu:v2.0.0'], 'antrea'],
    // By image when the name says nothing.
    ['net', ['registry.local/mirror/weaveworks/weave-kube:2.8.1'], 'weave'],
    ['net', ['registry.local/calico/node:v3.27.0', 'registry.local/flannel/flannel:v0.24.2'], 'canal'],
    ['agents', ['quay.io/cilium/cilium:v1.15.1'], 'cilium'],
    ['agents', ['antrea/antrea-agent-ubuntu:v2.0.0'], 'antrea'],
    // Not networks: node-local-dns, kube-proxy, an image that only contains a network's name.
    ['node-local-dns', ['registry.k8s.io/dns/k8s-dns-node-cache:1.23.1'], undefined],
    ['kube-proxy', ['registry.k8s.io/kube-proxy:v1.30.0'], undefined],
    ['tools', ['example.org/weave-kube-exporter:1.0'], undefined],
  ];
  for (const [name, images, want] of rows)
    it(`${name} ${images.join(' ')} -> ${want ?? 'none'}`, () =>
      assert.equal(networkOfDaemonSet(ds(name, images)), want));
});

describe('detectNetworks', () => {
  it('names where each network was seen and whether netpack applied it', () => {
    const ours = ds('weave-net', ['weaveworks/weave-kube:2.8.1']);
    ours.metadata.labels = { 'app.kubernetes.io/managed-by': 'netpack' };
    const got = detectNetworks({
      daemonSets: [ours, ds('cilium', ['quay.io/cilium/cilium:v1.15.1'])],
      ipPools: [],
      installations: [
        { apiVersion: 'operator.tigera.io/v1', kind: 'Installation', metadata: { name: 'default' } },
      ],
    });
    assert.deepEqual(got, [
      { provider: 'weave', where: 'DaemonSet kube-system/weave-net', ours: true },
      { provider: 'cilium', where: 'DaemonSet kube-system/cilium', ours: false },
      { provider: 'calico', where: 'Installation.operator.tigera.io default', ours: false, operator: true },
    ]);
  });

  it('Calico IPPools count only when no Calico DaemonSet explains them', () => {
    const pool: KubeObject = {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'p1' },
    };
    assert.deepEqual(
      detectNetworks({ daemonSets: [], ipPools: [pool], installations: [] }).map((n) => n.where),
      ['IPPool.crd.projectcalico.org p1'],
    );
    assert.deepEqual(
      detectNetworks({ daemonSets: [ds('calico-node', [])], ipPools: [pool], installations: [] }).map(
        (n) => n.where,
      ),
      ['DaemonSet kube-system/calico-node'],
    );
  });
});

describe('ranges of the running network', () => {
  it("weave-net IPALLOC_RANGE, else Weave's default range", () => {
    assert.deepEqual(
      weaveAllocRange([
        ds('weave-net', ['weaveworks/weave-kube:2.8.1'], [{ name: 'IPALLOC_RANGE', value: '10.40.0.0/16' }]),
      ]),
      { where: 'IPALLOC_RANGE of DaemonSet kube-system/weave-net', cidr: '10.40.0.0/16' },
    );
    assert.equal(weaveAllocRange([ds('weave-net', ['weaveworks/weave-kube:2.8.1'])])?.cidr, '10.32.0.0/12');
    assert.equal(weaveAllocRange([ds('calico-node', ['calico/node:v3'])]), undefined);
  });

  it('Service ClusterIPs, headless and missing ones left out', () => {
    const svc = (ns: string, name: string, clusterIP?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: clusterIP ? { clusterIP } : {},
    });
    assert.deepEqual(
      serviceIps([
        svc('default', 'kubernetes', '10.96.0.1'),
        undefined,
        svc('kube-system', 'kube-dns', 'None'),
      ]),
      [{ service: 'default/kubernetes', ip: '10.96.0.1' }],
    );
  });
});
