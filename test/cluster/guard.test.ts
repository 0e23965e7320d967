// guardChanges on its own: each refused change, against the stored state and against each live
// fact, naming the exact field; and no refusal for changes that are allowed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardChanges, type LiveFacts, type RefusalSource } from '../../src/cluster/guard.ts';
import type { StoredState } from '../../src/cluster/inventory.ts';
import type { RunningNetwork } from '../../src/cluster/running.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { NetworkConfig } from '../../src/config/types.ts';

const POD = '10.244.0.0/16';

function net(
  provider: NetworkConfig['provider'],
  edit: (n: NetworkConfig) => void = () => {},
): NetworkConfig {
  const n = defaultClusterConfig().network;
  n.provider = provider;
  n.pod_network_cidr = POD;
  edit(n);
  return n;
}

const etcd = (n: NetworkConfig) => {
  n.calico.datastore = 'etcd';
  n.calico.etcd = { endpoints: ['https://192.0.2.1:2379'] };
};

const state = (network: NetworkConfig): StoredState => ({ network, inventory: [] });

const nodes = (...podCIDRs: string[]) => podCIDRs.map((c, i) => ({ name: `node-${i + 1}`, podCIDRs: [c] }));

const DS_NAME = { weave: 'weave-net', calico: 'calico-node' } as Record<string, string>;
/** A network DaemonSet as running.ts reports it (netpack's own unless `ours` is false). */
const ds = (provider: RunningNetwork['provider'], ours = true): RunningNetwork => ({
  provider,
  where: `DaemonSet kube-system/${DS_NAME[provider] ?? provider}`,
  ours,
});

function facts(f: Partial<LiveFacts> = {}): LiveFacts {
  return { ipPools: [], nodes: nodes('10.244.1.0/24', '10.244.2.0/24'), networks: [], ...f };
}

interface Row {
  name: string;
  config: NetworkConfig;
  state?: NetworkConfig;
  live?: Partial<LiveFacts>;
  /** `field source current->wanted` per refusal, in order. */
  want: string[];
  /** Each message must match. */
  message?: RegExp[];
}

const ROWS: Row[] = [
  // Allowed: nothing refused.
  { name: 'first apply, empty cluster', config: net('weave'), live: { nodes: [] }, want: [] },
  {
    name: 'same config again',
    config: net('calico'),
    state: net('calico'),
    live: { ipPools: [{ name: 'default-ipv4-ippool', cidr: POD }], networks: [ds('calico')] },
    want: [],
  },
  {
    name: 'allowed Calico changes: encapsulation, mode, mtu, NAT, environment, node-local-dns',
    config: net('calico', (n) => {
      n.calico.encapsulation = 'vxlan';
      n.calico.mode = 'CrossSubnet';
      n.calico.mtu = 9000;
      n.calico.nat_outgoing = false;
      n.calico.environment = { FELIX_LOGSEVERITYSCREEN: 'debug' };
      n.node_local_dns_cache = { enabled: false };
    }),
    state: net('calico'),
    live: { ipPools: [{ name: 'default-ipv4-ippool', cidr: POD }], networks: [ds('calico')] },
    want: [],
  },
  {
    name: 'allowed Weave changes: trusted subnets, no_masq_local, peering',
    config: net('weave', (n) => {
      n.weave.trusted_subnets = ['192.0.2.0/24'];
      n.weave.no_masq_local = true;
      n.weave.peering.enabled = true;
    }),
    state: net('weave'),
    live: { networks: [ds('weave')] },
    want: [],
  },
  {
    name: 'etcd datastore: the IPPool CRD is not where the pool lives, so it is not compared',
    config: net('calico', etcd),
    state: net('calico', etcd),
    live: { ipPools: [{ name: 'default-ipv4-ippool', cidr: '10.96.0.0/16' }] },
    want: [],
  },
  {
    name: "another IPPool than netpack's is not compared",
    config: net('calico'),
    live: { ipPools: [{ name: 'extra-pool', cidr: '172.16.0.0/16' }] },
    want: [],
  },
  {
    name: 'an IPv6 node range next to an IPv4 pod network (dual stack) is not compared',
    config: net('weave'),
    live: { nodes: [{ name: 'node-1', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] }] },
    want: [],
  },
  {
    name: 'a wider pod network still containing every node range is allowed live',
    config: net('weave', (n) => (n.pod_network_cidr = '10.244.0.0/15')),
    want: [],
  },

  // Refused against the stored state.
  {
    name: 'provider, from the state',
    config: net('weave'),
    state: net('calico'),
    want: ['network.provider state calico->weave'],
    message: [
      /^network\.provider is calico in the applied state \(ConfigMap kube-system\/netpack-state\); the config asks for weave: switching the network provider/,
    ],
  },
  {
    name: 'service_cidr, from the state',
    config: net('weave', (n) => (n.service_cidr = '10.100.0.0/16')),
    state: net('weave'),
    want: ['network.service_cidr state 10.96.0.0/12->10.100.0.0/16'],
    message: [
      /^network\.service_cidr is 10\.96\.0\.0\/12 in the applied state .*: Service IPs, the cluster DNS address/,
    ],
  },
  {
    name: 'pod_network_cidr, from the state',
    config: net('weave', (n) => (n.pod_network_cidr = '10.244.0.0/15')),
    state: net('weave'),
    want: ['network.pod_network_cidr state 10.244.0.0/16->10.244.0.0/15'],
    message: [/^network\.pod_network_cidr is 10\.244\.0\.0\/16 in the applied state/],
  },
  {
    name: 'Calico datastore kubernetes -> etcd, from the state',
    config: net('calico', etcd),
    state: net('calico'),
    want: ['network.calico.datastore state kubernetes->etcd'],
    message: [
      /^network\.calico\.datastore is kubernetes in the applied state .*: Calico's data \(pools, blocks, policies\) lives in the datastore/,
    ],
  },
  {
    name: 'Calico datastore etcd -> kubernetes, from the state',
    config: net('calico'),
    state: net('calico', etcd),
    want: ['network.calico.datastore state etcd->kubernetes'],
  },
  {
    name: 'provider and datastore at once: the datastore is not compared across providers',
    config: net('calico', etcd),
    state: net('weave'),
    want: ['network.provider state weave->calico'],
  },
  {
    name: 'every field at once, each named',
    config: net('weave', (n) => {
      n.service_cidr = '10.100.0.0/16';
      n.pod_network_cidr = '10.200.0.0/16';
    }),
    state: net('calico'),
    live: { nodes: [] },
    want: [
      'network.provider state calico->weave',
      'network.service_cidr state 10.96.0.0/12->10.100.0.0/16',
      'network.pod_network_cidr state 10.244.0.0/16->10.200.0.0/16',
    ],
  },

  // Refused against the live cluster (no state, or a lost state).
  {
    name: 'pod_network_cidr vs the live Calico IPPool',
    config: net('calico', (n) => (n.pod_network_cidr = '10.244.0.0/15')),
    live: { ipPools: [{ name: 'default-ipv4-ippool', cidr: POD }] },
    want: ['network.pod_network_cidr ippool 10.244.0.0/16->10.244.0.0/15'],
    message: [
      /^network\.pod_network_cidr is 10\.244\.0\.0\/16 in the cluster \(spec\.cidr of Calico IPPool default-ipv4-ippool\)/,
    ],
  },
  {
    name: 'state and IPPool agree on the old range: refused once, from the state',
    config: net('calico', (n) => (n.pod_network_cidr = '10.244.0.0/15')),
    state: net('calico'),
    live: { ipPools: [{ name: 'default-ipv4-ippool', cidr: POD }] },
    want: ['network.pod_network_cidr state 10.244.0.0/16->10.244.0.0/15'],
  },
  {
    name: "nodes' podCIDR outside the pod network",
    config: net('weave', (n) => (n.pod_network_cidr = '10.32.0.0/12')),
    want: [
      'network.pod_network_cidr node 10.244.1.0/24->10.32.0.0/12',
      'network.pod_network_cidr node 10.244.2.0/24->10.32.0.0/12',
    ],
    message: [
      /^network\.pod_network_cidr 10\.32\.0\.0\/12 does not contain spec\.podCIDR 10\.244\.1\.0\/24 of node node-1: .*kube-controller-manager --cluster-cidr/,
      /of node node-2/,
    ],
  },
  {
    name: 'a node range only partly inside the pod network',
    config: net('weave', (n) => (n.pod_network_cidr = '10.244.0.0/24')),
    live: { nodes: nodes('10.244.0.0/23') },
    want: ['network.pod_network_cidr node 10.244.0.0/23->10.244.0.0/24'],
  },
  {
    name: 'a running provider DaemonSet (no state)',
    config: net('weave'),
    live: { networks: [ds('calico')] },
    want: ['network.provider daemonset calico->weave'],
    message: [
      /^network\.provider is calico in the cluster \(another pod network runs: calico \(DaemonSet kube-system\/calico-node, applied by netpack\)\)/,
    ],
  },
  {
    name: 'state and running DaemonSet agree: refused once, from the state',
    config: net('weave'),
    state: net('calico'),
    live: { networks: [ds('calico')] },
    want: ['network.provider state calico->weave'],
  },
  {
    name: "a foreign Cilium DaemonSet (not netpack's)",
    config: net('weave'),
    live: { networks: [ds('cilium', false)] },
    want: ['network.provider daemonset cilium->weave'],
    message: [/cilium \(DaemonSet kube-system\/cilium\)/],
  },
  {
    name: 'the same provider applied by someone else: no refusal (that is adoption)',
    config: net('weave'),
    live: { networks: [ds('weave', false)] },
    want: [],
  },
  {
    name: 'Calico under the Tigera operator, config Calico',
    config: net('calico'),
    live: {
      networks: [
        { provider: 'calico', where: 'Installation.operator.tigera.io default', ours: false, operator: true },
      ],
    },
    want: ['network.provider operator calico (Tigera operator)->calico'],
  },
  {
    name: 'lost state: the kubernetes Service IP is outside the new service range',
    config: net('weave', (n) => (n.service_cidr = '10.100.0.0/16')),
    live: { serviceIps: [{ service: 'default/kubernetes', ip: '10.96.0.1' }] },
    want: ['network.service_cidr service 10.96.0.1->10.100.0.0/16'],
  },
  {
    name: 'lost state: kube-dns is not where node-local-dns would look',
    config: net('weave', (n) => (n.service_cidr = '10.96.0.0/12')),
    live: {
      serviceIps: [
        { service: 'default/kubernetes', ip: '10.96.0.1' },
        { service: 'kube-system/kube-dns', ip: '10.96.0.3' },
      ],
    },
    want: ['network.service_cidr service 10.96.0.3->10.96.0.0/12'],
    message: [/10\.96\.0\.10/],
  },
  {
    name: 'lost state: weave-net allocates from another range',
    config: net('weave'),
    live: { weaveRange: { where: 'IPALLOC_RANGE of DaemonSet kube-system/weave-net', cidr: '10.32.0.0/12' } },
    want: ['network.pod_network_cidr daemonset 10.32.0.0/12->10.244.0.0/16'],
  },
  {
    name: 'service IPs where the config puts them: no refusal',
    config: net('weave', (n) => (n.service_cidr = '10.96.0.0/12')),
    live: {
      serviceIps: [
        { service: 'default/kubernetes', ip: '10.96.0.1' },
        { service: 'kube-system/kube-dns', ip: '10.96.0.10' },
      ],
      weaveRange: { where: 'IPALLOC_RANGE of DaemonSet kube-system/weave-net', cidr: POD },
    },
    want: [],
  },
  {
    name: 'the provider in place is running: no refusal',
    config: net('calico'),
    live: { networks: [ds('calico')] },
    want: [],
  },
];

describe('guardChanges', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const got = guardChanges(row.config, row.state ? state(row.state) : undefined, facts(row.live));
      assert.deepEqual(
        got.map((r) => `${r.field} ${r.source} ${r.current}->${r.wanted}`),
        row.want,
        JSON.stringify(got, null, 1),
      );
      for (const [i, m] of (row.message ?? []).entries()) assert.match(got[i]!.message, m);
      for (const r of got) {
        // The message names the exact field and both values.
        assert.ok(r.message.includes(r.field), r.message);
        assert.ok(r.message.includes(r.current) && r.message.includes(r.wanted), r.message);
        assert.ok(
          (['state', 'ippool', 'node', 'daemonset', 'service', 'operator'] as RefusalSource[]).includes(
            r.source,
          ),
        );
      }
    });
  }
});
