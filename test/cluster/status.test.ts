// clusterStatus on its own: hand-built snapshots in, typed findings out. One table row per
// finding reason, a healthy cluster of each provider with no findings, and the peering side-car.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseState } from '../../src/cluster/inventory.ts';
import {
  type ClusterSnapshot,
  clusterStatus,
  type Finding,
  type FindingReason,
  formatStatus,
  podCause,
} from '../../src/cluster/status.ts';
import type { KubeObject } from '../../src/cluster/types.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import type { NetworkConfig } from '../../src/config/types.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

function damagedStateReason(networkYaml: string): string {
  const parsed = parseState({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'netpack-state', namespace: 'kube-system' },
    data: { format: 'netpack-state/v1', 'network.yaml': networkYaml, 'inventory.yaml': '[]' },
  });
  assert.ok(!parsed.ok);
  return parsed.reason;
}

const POD_CIDR = '10.244.0.0/16';
const NODES = ['node-1', 'node-2', 'node-3'];

type ContainerStatus = Record<string, unknown> & { name: string };

function weaveNetwork(edit: (n: NetworkConfig) => void = () => {}): NetworkConfig {
  const n = defaultClusterConfig().network;
  n.provider = 'weave';
  n.pod_network_cidr = POD_CIDR;
  edit(n);
  return n;
}

function calicoNetwork(edit: (n: NetworkConfig) => void = () => {}): NetworkConfig {
  return weaveNetwork((n) => {
    n.provider = 'calico';
    edit(n);
  });
}

function node(
  name: string,
  opts: { labels?: Record<string, string>; podCIDR?: string | null; conditions?: unknown[] } = {},
): KubeObject {
  const i = NODES.indexOf(name) + 1 || 9;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: opts.podCIDR === null ? {} : { podCIDR: opts.podCIDR ?? `10.244.${i}.0/24` },
    status: { conditions: opts.conditions ?? [{ type: 'Ready', status: 'True' }] },
  };
}

function daemonSet(name: string, containers: string[], selector?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system', uid: `uid-${name}` },
    spec: {
      selector: { matchLabels: { 'k8s-app': name } },
      template: {
        spec: {
          ...(selector ? { nodeSelector: selector } : {}),
          containers: containers.map((c) => ({ name: c, image: `img/${c}` })),
        },
      },
    },
  };
}

const ready = (name: string): ContainerStatus => ({
  name,
  ready: true,
  restartCount: 0,
  state: { running: { startedAt: '2024-01-01T00:00:00Z' } },
});

/** A pod of `owner` on `nodeName`; Ready when every container status is ready and the phase is Running. */
function pod(
  owner: KubeObject,
  nodeName: string,
  statuses: ContainerStatus[] = templateNames(owner).map(ready),
  phase = 'Running',
  podReady = phase === 'Running' && statuses.every((c) => c.ready === true),
): KubeObject {
  const allReady = podReady;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${owner.metadata.name}-${nodeName}`,
      namespace: owner.metadata.namespace,
      ownerReferences: [{ kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid }],
    },
    spec: { nodeName },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: allReady ? 'True' : 'False' }],
      containerStatuses: statuses,
    },
  };
}

function templateNames(obj: KubeObject): string[] {
  return (
    (obj.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers ?? []
  ).map((c) => c.name);
}

function deployment(name: string, replicas: number, available: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'kube-system', uid: `uid-${name}` },
    spec: { replicas, selector: { matchLabels: { 'k8s-app': name } } },
    status: { availableReplicas: available },
  };
}

function ipPool(cidr: string, name = 'default-ipv4-ippool'): KubeObject {
  return { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name }, spec: { cidr } };
}

/** `ds` labelled as netpack labels a provider's objects. */
function component(ds: KubeObject, name: string): KubeObject {
  return { ...ds, metadata: { ...ds.metadata, labels: { 'app.kubernetes.io/component': name } } };
}

const WEAVE = daemonSet('weave-net', ['weave', 'weave-npc']);
const WEAVE_PEERING = daemonSet('weave-net', ['weave', 'weave-npc', 'weave-peers']);
const CALICO = daemonSet('calico-node', ['calico-node']);
const NLD = daemonSet('node-local-dns', ['node-cache']);

/** A healthy Weave cluster: every DaemonSet has a ready pod on every node. */
function healthyWeave(): ClusterSnapshot {
  const nodes = NODES.map((n) => node(n));
  return {
    network: weaveNetwork(),
    nodes,
    daemonSets: [WEAVE, NLD],
    deployments: [],
    pods: [WEAVE, NLD].flatMap((ds) => NODES.map((n) => pod(ds, n))),
    ipPools: [],
  };
}

function healthyCalico(): ClusterSnapshot {
  const nodes = NODES.map((n) => node(n));
  return {
    network: calicoNetwork(),
    nodes,
    daemonSets: [CALICO, NLD],
    deployments: [deployment('calico-kube-controllers', 1, 1)],
    pods: [CALICO, NLD].flatMap((ds) => NODES.map((n) => pod(ds, n))),
    ipPools: [ipPool(POD_CIDR)],
  };
}

function healthyWeavePeering(regions: string[] = ['eu', 'us', 'us']): ClusterSnapshot {
  const nodes = NODES.map((n, i) => node(n, { labels: { 'topology.kubernetes.io/region': regions[i]! } }));
  return {
    network: weaveNetwork((n) => {
      n.weave.peering.enabled = true;
    }),
    nodes,
    daemonSets: [WEAVE_PEERING],
    deployments: [],
    pods: NODES.map((n) => pod(WEAVE_PEERING, n)),
    ipPools: [],
  };
}

/** Replaces the pod of `ds` on `nodeName`. */
function withPod(snap: ClusterSnapshot, ds: KubeObject, nodeName: string, p: KubeObject | undefined) {
  const name = `${ds.metadata.name}-${nodeName}`;
  snap.pods = snap.pods.filter((x) => x.metadata.name !== name);
  if (p) snap.pods.push(p);
  return snap;
}

const crashLoop = (name: string): ContainerStatus => ({
  name,
  ready: false,
  restartCount: 7,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
  lastState: {
    terminated: {
      exitCode: 1,
      reason: 'Error',
      message: 'line one\nline two\nfatal: no route to 10.0.0.1\n',
    },
  },
});

const imagePull = (name: string, reason = 'ImagePullBackOff'): ContainerStatus => ({
  name,
  image: `img/${name}:1.0`,
  ready: false,
  restartCount: 0,
  state: { waiting: { reason, message: `Back-off pulling image "img/${name}"` } },
});

const waitingFor = (name: string, reason: string, message?: string): ContainerStatus => ({
  name,
  ready: false,
  restartCount: 0,
  state: { waiting: { reason, ...(message ? { message } : {}) } },
});

/** The advice for a container that never ran: its pod's Events, no logs (there are none). */
function assertDescribeNotLogs(fix: string | undefined, podName: string): void {
  assert.match(fix ?? '', new RegExp(`^kubectl -n kube-system describe pod ${podName} `));
  assert.doesNotMatch(fix ?? '', /logs|--previous/);
}

const reasons = (fs: Finding[]) => fs.map((f) => f.reason).sort();

interface Row {
  name: string;
  snap: () => ClusterSnapshot;
  /** Every finding reason expected, sorted. */
  want: FindingReason[];
  healthy: boolean;
  /** Checks on the findings of `want[0]`'s reason. */
  check?: (f: Finding[], text: string) => void;
}

const ROWS: Row[] = [
  { name: 'healthy Weave cluster', snap: healthyWeave, want: [], healthy: true },
  { name: 'healthy Calico cluster', snap: healthyCalico, want: [], healthy: true },
  {
    name: 'healthy Calico with etcd: no IPPool expected',
    snap: () => ({
      ...healthyCalico(),
      network: calicoNetwork((n) => (n.calico.datastore = 'etcd')),
      ipPools: [],
    }),
    want: [],
    healthy: true,
  },
  {
    name: 'healthy Weave across regions with the peering side-car',
    snap: () => healthyWeavePeering(),
    want: [],
    healthy: true,
    check: (_f, text) => {
      assert.match(text, /regions\s+yes\s+nodes span eu, us; peering handled by the weave-peers side-car/);
      assert.match(
        text,
        /weave peering \(side-car weave-peers\)\s+yes\s+handled by the weave-peers side-car/,
      );
      assert.match(text, /ready on 3\/3 nodes/);
    },
  },
  {
    name: 'nothing applied',
    snap: () => ({ ...healthyWeave(), network: undefined }),
    want: ['NotApplied'],
    healthy: false,
    check: (f) => assert.match(f[0]!.fix!, /^netpack apply/),
  },
  {
    name: 'the state ConfigMap cannot be read: said so, not "not applied"',
    snap: () => ({
      ...healthyWeave(),
      network: undefined,
      // As readSnapshot reports it: the reason parseState gives for the damaged ConfigMap.
      stateProblem: damagedStateReason('provider: [broken'),
    }),
    want: ['StateUnreadable'],
    healthy: false,
    check: (f, text) => {
      assert.equal(f[0]!.subject, 'ConfigMap kube-system/netpack-state');
      assert.match(f[0]!.message, /stored state cannot be read/);
      assert.doesNotMatch(text, /has not applied/);
      // The parser's first line, without its code frame.
      assert.equal(
        f[0]!.cause,
        'ConfigMap kube-system/netpack-state cannot be read: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 18',
      );
      assert.match(
        f[0]!.fix!,
        /^fix or delete ConfigMap kube-system\/netpack-state .*; netpack apply rebuilds it from the live cluster/,
      );
    },
  },
  {
    name: 'the file says calico, the cluster runs weave: the provider cannot change in place, apply not suggested',
    snap: () => {
      const s = healthyWeave();
      s.network = calicoNetwork();
      s.daemonSets = [component(WEAVE, 'weave'), NLD];
      return s;
    },
    want: ['ProviderMismatch'],
    healthy: false,
    check: (f, text) => {
      assert.equal(f[0]!.subject, 'network.provider');
      assert.match(f[0]!.message, /cluster file says calico.*runs weave.*cannot be changed in place/);
      assert.doesNotMatch(text, /netpack apply/);
      assert.match(text, /network DaemonSet kube-system\/calico-node\s+NO\s+missing; the cluster runs weave/);
    },
  },
  {
    name: "Flannel (not netpack's) runs beside the applied Weave: a second network",
    snap: () => {
      const s = healthyWeave();
      s.networks = [
        { provider: 'weave', where: 'DaemonSet kube-system/weave-net', ours: true },
        { provider: 'flannel', where: 'DaemonSet kube-flannel/kube-flannel-ds', ours: false },
      ];
      return s;
    },
    want: ['ForeignNetwork'],
    healthy: false,
    check: (f) => assert.equal(f[0]!.subject, 'DaemonSet kube-flannel/kube-flannel-ds'),
  },
  {
    name: 'Calico under the Tigera operator, applied Calico: the operator fights netpack',
    snap: () => {
      const s = healthyCalico();
      s.networks = [
        { provider: 'calico', where: 'DaemonSet kube-system/calico-node', ours: true },
        { provider: 'calico', where: 'Installation.operator.tigera.io default', ours: false, operator: true },
      ];
      return s;
    },
    want: ['ForeignNetwork'],
    healthy: false,
  },
  {
    name: 'the file says weave, the cluster runs calico: the same, the other way round',
    snap: () => {
      const s = healthyCalico();
      s.network = weaveNetwork();
      // Across regions, too: weave's peering advice (apply) does not fit a calico cluster.
      s.nodes = NODES.map((n, i) => node(n, { labels: { 'topology.kubernetes.io/region': `r${i}` } }));
      s.daemonSets = [component(CALICO, 'calico'), NLD];
      return s;
    },
    want: ['ProviderMismatch'],
    healthy: false,
    check: (f, text) => {
      assert.match(f[0]!.message, /cluster file says weave.*runs calico.*cannot be changed in place/);
      assert.doesNotMatch(text, /netpack apply/);
    },
  },
  {
    name: 'network DaemonSet missing',
    snap: () => ({ ...healthyWeave(), daemonSets: [NLD] }),
    want: ['NetworkDaemonSetMissing'],
    healthy: false,
    check: (f) => assert.equal(f[0]!.subject, 'DaemonSet kube-system/weave-net'),
  },
  {
    name: 'pod Pending (phase) on one node',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-2',
        pod(WEAVE, 'node-2', [{ name: 'weave', ready: false }], 'Pending'),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assert.equal(f[0]!.subject, 'node node-2');
      assert.match(f[0]!.cause!, /^pod weave-net-node-2 Pending/);
    },
  },
  {
    name: 'container in CrashLoopBackOff: waiting reason, restarts, last termination message',
    snap: () => withPod(healthyCalico(), CALICO, 'node-3', pod(CALICO, 'node-3', [crashLoop('calico-node')])),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      const c = f[0]!.cause!;
      assert.match(c, /pod calico-node-node-3 Running/);
      assert.match(c, /container calico-node: waiting CrashLoopBackOff \(back-off 5m0s/);
      assert.match(c, /7 restarts/);
      // The last lines of the termination message, joined on one line.
      assert.match(c, /last terminated Error exit 1: line one \| line two \| fatal: no route to 10\.0\.0\.1/);
      // The one container that crashed is named: its previous run's logs say why.
      assert.equal(f[0]!.fix, 'kubectl -n kube-system logs calico-node-node-3 -c calico-node --previous');
    },
  },
  {
    name: 'container in ImagePullBackOff',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-1',
        pod(WEAVE, 'node-1', [imagePull('weave'), ready('weave-npc')], 'Pending'),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assert.match(
        f[0]!.cause!,
        /container weave: waiting ImagePullBackOff \(Back-off pulling image "img\/weave"\)/,
      );
      assert.doesNotMatch(f[0]!.cause!, /weave-npc/, 'ready containers are not named');
      // The container never ran: no logs to read; the pod's Events show the pull error.
      assertDescribeNotLogs(f[0]!.fix, 'weave-net-node-1');
      assert.match(f[0]!.fix!, /its Events show the pull error/);
      assert.match(f[0]!.fix!, /check the image name \(img\/weave:1\.0\)/);
      assert.match(f[0]!.fix!, /that node node-1 can reach the registry/);
      assert.match(f[0]!.fix!, /network\.image_repository/);
    },
  },
  ...['ErrImagePull', 'InvalidImageName'].map(
    (reason): Row => ({
      name: `container waiting ${reason}: describe the pod, check the image, the registry, image_repository`,
      snap: () =>
        withPod(
          healthyCalico(),
          CALICO,
          'node-2',
          pod(CALICO, 'node-2', [imagePull('calico-node', reason)], 'Pending'),
        ),
      want: ['NetworkPodNotReady'],
      healthy: false,
      check: (f) => {
        assert.match(f[0]!.cause!, new RegExp(`container calico-node: waiting ${reason}`));
        assertDescribeNotLogs(f[0]!.fix, 'calico-node-node-2');
        assert.match(
          f[0]!.fix!,
          /image name \(img\/calico-node:1\.0\).*node node-2 can reach the registry.*network\.image_repository/,
        );
      },
    }),
  ),
  {
    name: 'the image comes from the pod spec when the container status does not name it',
    snap: () => {
      const p = pod(WEAVE, 'node-1', [waitingFor('weave', 'ErrImagePull'), ready('weave-npc')], 'Pending');
      p.spec = {
        ...(p.spec as object),
        containers: [{ name: 'weave', image: 'mirror.local/weave-kube:2.8.1' }],
      };
      return withPod(healthyWeave(), WEAVE, 'node-1', p);
    },
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => assert.match(f[0]!.fix!, /image name \(mirror\.local\/weave-kube:2\.8\.1\)/),
  },
  {
    name: 'container waiting CreateContainerConfigError: describe the pod, check its Secrets and ConfigMaps',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-3',
        pod(
          WEAVE,
          'node-3',
          [
            waitingFor('weave', 'CreateContainerConfigError', 'secret "weave-passwd" not found'),
            ready('weave-npc'),
          ],
          'Pending',
        ),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assert.match(f[0]!.cause!, /waiting CreateContainerConfigError \(secret "weave-passwd" not found\)/);
      assertDescribeNotLogs(f[0]!.fix, 'weave-net-node-3');
      assert.match(f[0]!.fix!, /Secrets and ConfigMaps the pod references exist in namespace kube-system/);
    },
  },
  {
    name: "container waiting CreateContainerError: describe the pod, check the node's container runtime",
    snap: () =>
      withPod(
        healthyCalico(),
        CALICO,
        'node-1',
        pod(
          CALICO,
          'node-1',
          [waitingFor('calico-node', 'CreateContainerError', 'failed to mount')],
          'Pending',
        ),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assertDescribeNotLogs(f[0]!.fix, 'calico-node-node-1');
      assert.match(f[0]!.fix!, /container runtime on node node-1/);
    },
  },
  {
    name: 'restarting after StartError (the runtime could not start it): describe the pod, no logs',
    snap: () =>
      withPod(
        healthyCalico(),
        CALICO,
        'node-1',
        pod(CALICO, 'node-1', [
          {
            name: 'calico-node',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: no such file' } },
          },
        ]),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assertDescribeNotLogs(f[0]!.fix, 'calico-node-node-1');
      assert.match(f[0]!.fix!, /container runtime on node node-1/);
    },
  },
  {
    name: 'container still ContainerCreating: describe the pod (its Events say what it waits for)',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-2',
        pod(
          WEAVE,
          'node-2',
          [waitingFor('weave', 'ContainerCreating'), waitingFor('weave-npc', 'ContainerCreating')],
          'Pending',
        ),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assertDescribeNotLogs(f[0]!.fix, 'weave-net-node-2');
      assert.match(f[0]!.fix!, /what it waits for/);
    },
  },
  {
    name: 'container running but not ready, never restarted: its current logs (no --previous) and the probe events',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-2',
        pod(WEAVE, 'node-2', [
          { name: 'weave', ready: false, restartCount: 0, state: { running: { startedAt: 'x' } } },
          ready('weave-npc'),
        ]),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assert.match(
        f[0]!.fix!,
        /^kubectl -n kube-system logs weave-net-node-2 -c weave, and kubectl -n kube-system describe pod weave-net-node-2 /,
      );
      assert.doesNotMatch(f[0]!.fix!, /--previous/);
      assert.match(f[0]!.fix!, /readiness probe/);
    },
  },
  {
    name: "two containers crashed: the logs of all containers' previous runs",
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-2',
        pod(WEAVE, 'node-2', [crashLoop('weave'), crashLoop('weave-npc')]),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) =>
      assert.equal(f[0]!.fix, 'kubectl -n kube-system logs weave-net-node-2 --all-containers --previous'),
  },
  {
    name: 'an image problem comes before a crash in another container: the crash may follow from it',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-2',
        pod(WEAVE, 'node-2', [crashLoop('weave'), imagePull('weave-npc')]),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) => {
      assertDescribeNotLogs(f[0]!.fix, 'weave-net-node-2');
      assert.match(f[0]!.fix!, /img\/weave-npc:1\.0/);
      assert.doesNotMatch(f[0]!.fix!, /img\/weave:/);
    },
  },
  {
    name: 'restarts and a last termination without a waiting reason',
    snap: () =>
      withPod(
        healthyWeave(),
        WEAVE,
        'node-1',
        pod(WEAVE, 'node-1', [
          {
            name: 'weave',
            ready: false,
            restartCount: 2,
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
          ready('weave-npc'),
        ]),
      ),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f) =>
      assert.match(f[0]!.cause!, /container weave: 2 restarts, last terminated OOMKilled exit 137$/),
  },
  {
    name: 'DaemonSet not on every node (scheduling)',
    snap: () => withPod(healthyWeave(), WEAVE, 'node-3', undefined),
    want: ['NodeWithoutNetworkPod'],
    healthy: false,
    check: (f, text) => {
      assert.equal(f[0]!.subject, 'node node-3');
      assert.match(f[0]!.cause!, /has not placed one/);
      assert.match(text, /network DaemonSet kube-system\/weave-net\s+NO\s+2\/3 nodes ready; not on: node-3/);
    },
  },
  {
    name: 'DaemonSet not on a NotReady node',
    snap: () => {
      const s = withPod(healthyWeave(), WEAVE, 'node-3', undefined);
      s.nodes[2] = node('node-3', { conditions: [{ type: 'Ready', status: 'False' }] });
      return s;
    },
    want: ['NodeWithoutNetworkPod'],
    healthy: false,
    check: (f) => assert.equal(f[0]!.cause, 'the node is NotReady'),
  },
  {
    name: 'a DaemonSet with a node selector is judged only on matching nodes',
    snap: () => {
      const s = healthyWeave();
      const linuxOnly = daemonSet('node-local-dns', ['node-cache'], { 'kubernetes.io/os': 'linux' });
      s.nodes[0] = node('node-1', { labels: { 'kubernetes.io/os': 'linux' } });
      s.daemonSets = [WEAVE, linuxOnly];
      s.pods = [...NODES.map((n) => pod(WEAVE, n)), pod(linuxOnly, 'node-1')];
      return s;
    },
    want: [],
    healthy: true,
    check: (_f, text) =>
      assert.match(text, /node-local-dns DaemonSet kube-system\/node-local-dns\s+yes\s+1\/1 nodes ready/),
  },
  {
    name: 'a DaemonSet no node matches',
    snap: () => ({
      ...healthyWeave(),
      daemonSets: [WEAVE, daemonSet('node-local-dns', ['node-cache'], { role: 'none' })],
      pods: NODES.map((n) => pod(WEAVE, n)),
    }),
    want: ['DaemonSetNotReady'],
    healthy: true,
  },
  {
    name: 'calico-kube-controllers not available, with the cause of its pod',
    snap: () => {
      const s = healthyCalico();
      const dep = deployment('calico-kube-controllers', 1, 0);
      s.deployments = [dep];
      s.pods.push({
        ...pod(dep, 'node-1', [crashLoop('calico-kube-controllers')]),
        metadata: {
          name: 'calico-kube-controllers-abc',
          namespace: 'kube-system',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'calico-kube-controllers-5d9', uid: 'rs' }],
          labels: { 'k8s-app': 'calico-kube-controllers' },
        },
      });
      return s;
    },
    want: ['DeploymentNotAvailable'],
    healthy: false,
    check: (f) => {
      assert.equal(f[0]!.subject, 'Deployment kube-system/calico-kube-controllers');
      assert.equal(f[0]!.message, '0 of 1 replicas available');
      assert.match(
        f[0]!.cause ?? '',
        /calico-kube-controllers-abc Running; container calico-kube-controllers: waiting CrashLoopBackOff/,
      );
      assert.equal(
        f[0]!.fix,
        'kubectl -n kube-system logs calico-kube-controllers-abc -c calico-kube-controllers --previous',
      );
    },
  },
  {
    name: 'a pod of a ReplicaSet of another Deployment whose name shares the prefix is not its cause',
    snap: () => {
      const s = healthyCalico();
      s.deployments = [deployment('calico-kube-controllers', 1, 0)];
      s.pods.push({
        ...pod(s.deployments[0]!, 'node-1', [crashLoop('other')]),
        metadata: {
          name: 'calico-kube-controllers-extra-7f-abc',
          namespace: 'kube-system',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'calico-kube-controllers-extra-7f', uid: 'rs2' }],
        },
      });
      return s;
    },
    want: ['DeploymentNotAvailable'],
    healthy: false,
    check: (f) => {
      assert.equal(f[0]!.cause, undefined);
      assert.equal(f[0]!.fix, 'kubectl -n kube-system describe deployment calico-kube-controllers');
    },
  },
  {
    name: 'calico-kube-controllers missing',
    snap: () => ({ ...healthyCalico(), deployments: [] }),
    want: ['DeploymentNotAvailable'],
    healthy: false,
    check: (f) => assert.match(f[0]!.message, /calico-kube-controllers does not exist/),
  },
  {
    name: 'Typha turned on in the config but its Deployment is missing',
    snap: () => ({ ...healthyCalico(), network: calicoNetwork((n) => (n.calico.typha = true)) }),
    want: ['DeploymentNotAvailable'],
    healthy: false,
    check: (f) => {
      assert.equal(f[0]!.subject, 'Deployment kube-system/calico-typha');
      assert.match(f[0]!.message, /calico-typha does not exist/);
    },
  },
  {
    name: 'Typha on and running',
    snap: () => {
      const s = healthyCalico();
      s.network = calicoNetwork((n) => (n.calico.typha = true));
      s.deployments.push(deployment('calico-typha', 3, 3));
      return s;
    },
    want: [],
    healthy: true,
  },
  {
    name: 'node-local-dns not ready on a node',
    snap: () => withPod(healthyCalico(), NLD, 'node-2', pod(NLD, 'node-2', [crashLoop('node-cache')])),
    want: ['NetworkPodNotReady'],
    healthy: false,
    check: (f, text) => {
      assert.match(f[0]!.message, /^node-local-dns pod on node node-2 is not ready/);
      assert.match(
        text,
        /node-local-dns DaemonSet kube-system\/node-local-dns\s+NO\s+2\/3 nodes ready; not on: node-2/,
      );
    },
  },
  {
    name: 'NetworkUnavailable on a node, with its reason and message',
    snap: () => {
      const s = healthyCalico();
      s.nodes[1] = node('node-2', {
        conditions: [
          { type: 'Ready', status: 'True' },
          {
            type: 'NetworkUnavailable',
            status: 'True',
            reason: 'NoRouteCreated',
            message: 'route not created',
          },
        ],
      });
      return s;
    },
    want: ['NetworkUnavailable'],
    healthy: false,
    check: (f) => {
      assert.equal(f[0]!.subject, 'node node-2');
      assert.equal(f[0]!.cause, 'NoRouteCreated: route not created');
    },
  },
  {
    name: 'NetworkUnavailable False (Calico sets it so) is fine',
    snap: () => {
      const s = healthyCalico();
      s.nodes = s.nodes.map((n) => {
        n.status = {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'NetworkUnavailable', status: 'False', reason: 'CalicoIsUp' },
          ],
        };
        return n;
      });
      return s;
    },
    want: [],
    healthy: true,
  },
  {
    name: 'a node podCIDR outside the pod network',
    snap: () => {
      const s = healthyWeave();
      s.nodes[0] = node('node-1', { podCIDR: '10.200.1.0/24' });
      return s;
    },
    want: ['PodCidrOutsidePodNetwork'],
    healthy: false,
    check: (f) =>
      assert.equal(
        f[0]!.message,
        'spec.podCIDR 10.200.1.0/24 is outside network.pod_network_cidr 10.244.0.0/16',
      ),
  },
  {
    name: 'a node podCIDR that only partly overlaps the pod network is outside',
    snap: () => {
      const s = healthyWeave();
      s.nodes[0] = node('node-1', { podCIDR: '10.244.0.0/15' });
      return s;
    },
    want: ['PodCidrOutsidePodNetwork'],
    healthy: false,
  },
  {
    name: 'a node without podCIDR: nothing for Weave (its IPAM allocates without spec.podCIDR)',
    snap: () => {
      const s = healthyWeave();
      s.nodes[0] = node('node-1', { podCIDR: null });
      return s;
    },
    want: [],
    healthy: true,
  },
  {
    name: 'a node without podCIDR: a warning for custom manifests (host-local IPAM reads it)',
    snap: () => {
      const s = healthyWeave();
      s.network = weaveNetwork((n) => {
        n.provider = 'custom';
      });
      s.daemonSets = [NLD];
      s.pods = NODES.map((n) => pod(NLD, n));
      s.nodes[0] = node('node-1', { podCIDR: null });
      return s;
    },
    want: ['NodeWithoutPodCidr'],
    healthy: true,
  },
  {
    name: 'a node without podCIDR: nothing for Calico (its IPAM does not use it)',
    snap: () => {
      const s = healthyCalico();
      s.nodes[0] = node('node-1', { podCIDR: null });
      return s;
    },
    want: [],
    healthy: true,
  },
  {
    name: 'IPPool missing',
    snap: () => ({ ...healthyCalico(), ipPools: [ipPool(POD_CIDR, 'another-pool')] }),
    want: ['IPPoolMissing'],
    healthy: false,
  },
  {
    name: 'IPPool CIDR differs from the config',
    snap: () => ({ ...healthyCalico(), ipPools: [ipPool('10.244.0.0/17')] }),
    want: ['IPPoolMismatch'],
    healthy: false,
    check: (f) =>
      assert.equal(f[0]!.message, 'spec.cidr is 10.244.0.0/17, network.pod_network_cidr is 10.244.0.0/16'),
  },
  {
    name: 'Weave across regions without peering: suggest network.weave.peering.enabled',
    snap: () => {
      const s = healthyWeave();
      s.nodes = NODES.map((n, i) =>
        node(n, { labels: { 'topology.kubernetes.io/region': i === 0 ? 'eu' : 'us' } }),
      );
      return s;
    },
    want: ['RegionsWithoutPeering'],
    healthy: true,
    check: (f, text) => {
      assert.equal(f[0]!.severity, 'warning');
      assert.match(f[0]!.message, /nodes span regions eu, us but region-aware peering is off/);
      assert.match(f[0]!.fix!, /network\.weave\.peering\.enabled: true/);
      assert.match(text, /regions\s+yes\s+nodes span eu, us; region-aware peering off/);
    },
  },
  {
    name: 'regions from the deprecated failure-domain label count too',
    snap: () => {
      const s = healthyWeave();
      s.nodes = NODES.map((n, i) =>
        node(n, { labels: { 'failure-domain.beta.kubernetes.io/region': i === 0 ? 'eu' : 'us' } }),
      );
      return s;
    },
    want: ['RegionsWithoutPeering'],
    healthy: true,
  },
  {
    name: 'one region: no peering finding, no regions line',
    snap: () => {
      const s = healthyWeave();
      s.nodes = NODES.map((n) => node(n, { labels: { 'topology.kubernetes.io/region': 'eu' } }));
      return s;
    },
    want: [],
    healthy: true,
    check: (_f, text) => assert.doesNotMatch(text, /^regions/m),
  },
  {
    name: 'Calico across regions: regions listed, no Weave peering advice',
    snap: () => {
      const s = healthyCalico();
      s.nodes = NODES.map((n, i) => node(n, { labels: { 'topology.kubernetes.io/region': `r${i}` } }));
      return s;
    },
    want: [],
    healthy: true,
    check: (_f, text) => assert.doesNotMatch(text, /peering/),
  },
  {
    name: 'peering enabled in the config but the DaemonSet has no side-car',
    snap: () => ({ ...healthyWeavePeering(), daemonSets: [WEAVE], pods: NODES.map((n) => pod(WEAVE, n)) }),
    want: ['PeeringSidecarMissing'],
    healthy: true,
    check: (f) => assert.match(f[0]!.message, /runs only weave, weave-npc, without the weave-peers side-car/),
  },
  {
    name: 'peering side-car not ready on one node (CrashLoopBackOff): weave itself still counts as ready',
    snap: () =>
      withPod(
        healthyWeavePeering(),
        WEAVE_PEERING,
        'node-2',
        pod(WEAVE_PEERING, 'node-2', [ready('weave'), ready('weave-npc'), crashLoop('weave-peers')]),
      ),
    want: ['PeeringSidecarNotReady'],
    healthy: false,
    check: (f, text) => {
      assert.equal(f[0]!.subject, 'node node-2');
      assert.match(f[0]!.message, /weave-peers peering side-car on node node-2 is not ready/);
      assert.match(f[0]!.cause!, /container weave-peers: waiting CrashLoopBackOff/);
      assert.match(f[0]!.cause!, /7 restarts/);
      assert.match(f[0]!.fix!, /logs weave-net-node-2 -c weave-peers --previous/);
      assert.match(text, /network DaemonSet kube-system\/weave-net\s+yes\s+3\/3 nodes ready/);
      assert.match(
        text,
        /weave peering \(side-car weave-peers\)\s+NO\s+.*ready on 2\/3 nodes; not ready on: node-2/,
      );
    },
  },
  {
    name: 'peering side-car running but failing its readiness probe',
    snap: () =>
      withPod(
        healthyWeavePeering(),
        WEAVE_PEERING,
        'node-1',
        pod(WEAVE_PEERING, 'node-1', [
          ready('weave'),
          ready('weave-npc'),
          { name: 'weave-peers', ready: false, restartCount: 0, state: { running: { startedAt: 'x' } } },
        ]),
      ),
    want: ['PeeringSidecarNotReady'],
    healthy: false,
    check: (f) => {
      assert.match(f[0]!.cause!, /running, readiness probe \(GET \/healthz on port 6788\) failing/);
      // It has not crashed: its current logs, not a previous run's.
      assert.match(
        f[0]!.fix!,
        /logs weave-net-node-1 -c weave-peers, and kubectl -n kube-system describe pod/,
      );
      assert.doesNotMatch(f[0]!.fix!, /--previous/);
    },
  },
  {
    name: 'side-car and weave both down on a node: two findings, each about its own part',
    snap: () =>
      withPod(
        healthyWeavePeering(),
        WEAVE_PEERING,
        'node-3',
        pod(WEAVE_PEERING, 'node-3', [crashLoop('weave'), ready('weave-npc'), imagePull('weave-peers')]),
      ),
    want: ['NetworkPodNotReady', 'PeeringSidecarNotReady'],
    healthy: false,
    check: (f) => {
      const side = f.find((x) => x.reason === 'PeeringSidecarNotReady')!;
      assert.match(side.cause!, /container weave-peers: waiting ImagePullBackOff/);
      assertDescribeNotLogs(side.fix, 'weave-net-node-3');
      assert.match(side.fix!, /img\/weave-peers:1\.0/);
      assert.doesNotMatch(side.cause!, /container weave:/);
      const net = f.find((x) => x.reason === 'NetworkPodNotReady')!;
      assert.match(net.cause!, /container weave: waiting CrashLoopBackOff/);
      assert.doesNotMatch(net.cause!, /weave-peers/);
      assert.doesNotMatch(net.fix!, /--all-containers/);
      assert.match(net.fix!, /logs weave-net-node-3 -c weave --previous/);
    },
  },
  {
    name: 'side-car with no container status yet',
    snap: () =>
      withPod(
        healthyWeavePeering(),
        WEAVE_PEERING,
        'node-1',
        // Kubelet has not reported the side-car yet: the pod is not Ready.
        pod(WEAVE_PEERING, 'node-1', [ready('weave'), ready('weave-npc')], 'Running', false),
      ),
    want: ['PeeringSidecarNotReady'],
    healthy: false,
    check: (f) => {
      assert.match(f[0]!.cause!, /no status for container weave-peers yet/);
      assertDescribeNotLogs(f[0]!.fix, 'weave-net-node-1');
    },
  },
  {
    name: 'kubelets at 169.254.20.10 with node-local-dns ready everywhere: healthy',
    snap: () => ({
      ...healthyCalico(),
      kubelets: NODES.map((node) => ({ node, clusterDNS: ['169.254.20.10'] })),
      kubeSystemServiceIps: ['10.96.0.10'],
    }),
    want: [],
    healthy: true,
    check: (_f, text) => assert.match(text, /kubelet clusterDNS answered\s+yes\s+3\/3/),
  },
  {
    name: 'node-local-dns removed while a kubelet still points at 169.254.20.10',
    snap: () => {
      const snap = healthyCalico();
      snap.daemonSets = snap.daemonSets.filter((d) => d !== NLD);
      snap.pods = snap.pods.filter((p) => !p.metadata.name.startsWith('node-local-dns'));
      return {
        ...snap,
        kubelets: [
          { node: 'node-1', clusterDNS: ['169.254.20.10'] },
          { node: 'node-2', clusterDNS: ['10.96.0.10'] },
        ],
        kubeSystemServiceIps: ['10.96.0.10'],
      };
    },
    want: ['KubeletDnsUnanswered'],
    healthy: false,
    check: (f, text) => {
      assert.equal(f[0]!.subject, 'node node-1');
      assert.match(f[0]!.message, /169\.254\.20\.10.*node-local-dns does not run/);
      assert.match(f[0]!.fix!, /clusterDNS to the kube-dns Service IP 10\.96\.0\.10/);
      assert.match(text, /kubelet clusterDNS answered\s+NO\s+1\/2/);
    },
  },
  {
    name: 'node-local-dns runs but not on the node whose kubelet points at it',
    snap: () => {
      const snap = withPod(healthyCalico(), NLD, 'node-3', undefined);
      return { ...snap, kubelets: [{ node: 'node-3', clusterDNS: ['169.254.20.10'] }] };
    },
    want: ['KubeletDnsUnanswered', 'NodeWithoutNetworkPod'],
    healthy: false,
    check: (f) =>
      assert.match(f.find((x) => x.reason === 'KubeletDnsUnanswered')!.message, /no ready pod on this node/),
  },
  {
    name: 'IPVS: a kubelet still at the kube-dns IP bypasses the link-local-only cache (warning)',
    snap: () => ({
      ...healthyCalico(),
      network: calicoNetwork((n) => (n.kube_proxy_mode = 'ipvs')),
      kubelets: [
        { node: 'node-1', clusterDNS: ['169.254.20.10'] },
        { node: 'node-2', clusterDNS: ['10.96.0.10'] },
      ],
      kubeSystemServiceIps: ['10.96.0.10'],
    }),
    want: ['KubeletDnsBypassesCache'],
    healthy: true,
    check: (f, text) => {
      assert.equal(f[0]!.subject, 'node node-2');
      assert.match(f[0]!.fix!, /clusterDNS to 169\.254\.20\.10/);
      assert.match(text, /kubelet clusterDNS answered\s+yes\s+2\/2/);
    },
  },
  {
    name: "a kubelet's clusterDNS that no Service in kube-system has",
    snap: () => ({
      ...healthyCalico(),
      kubelets: [{ node: 'node-2', clusterDNS: ['10.96.0.99'] }],
      kubeSystemServiceIps: ['10.96.0.10', '10.96.0.1'],
    }),
    want: ['KubeletDnsUnanswered'],
    healthy: false,
    check: (f) => assert.match(f[0]!.message, /10\.96\.0\.99, which no Service in kube-system has/),
  },
];

describe('clusterStatus: one row per finding reason', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const report = clusterStatus(row.snap());
      assert.deepEqual(
        reasons(report.findings),
        [...row.want].sort(),
        JSON.stringify(report.findings, null, 1),
      );
      assert.equal(report.healthy, row.healthy);
      if (row.want.length === 0)
        assert.ok(
          report.checks.every((c) => c.ok),
          formatStatus(report),
        );
      const text = formatStatus(report);
      assert.match(text, row.healthy ? /\nhealthy\n$/ : /\nNOT healthy\n$/);
      for (const f of report.findings) assert.ok(text.includes(`${f.reason}: ${f.subject}: ${f.message}`));
      row.check?.(report.findings, text);
    });
  }

  it('every reason of the union is reached by some row', () => {
    const all: Record<FindingReason, true> = {
      NotApplied: true,
      StateUnreadable: true,
      NetworkDaemonSetMissing: true,
      DaemonSetNotReady: true,
      NodeWithoutNetworkPod: true,
      NetworkPodNotReady: true,
      DeploymentNotAvailable: true,
      NetworkUnavailable: true,
      NodeWithoutPodCidr: true,
      PodCidrOutsidePodNetwork: true,
      IPPoolMissing: true,
      IPPoolMismatch: true,
      RegionsWithoutPeering: true,
      PeeringSidecarMissing: true,
      PeeringSidecarNotReady: true,
      ProviderMismatch: true,
      ForeignNetwork: true,
      KubeletDnsUnanswered: true,
      KubeletDnsBypassesCache: true,
    };
    const reached = new Set(ROWS.flatMap((r) => r.want));
    assert.deepEqual(
      Object.keys(all).filter((r) => !reached.has(r as FindingReason)),
      [],
    );
  });

  it('podCause names only the containers that are not ready, init containers first', () => {
    const p = pod(WEAVE, 'node-1', [ready('weave'), crashLoop('weave-npc')]);
    (p.status as Record<string, unknown>).initContainerStatuses = [imagePull('init')];
    assert.equal(
      podCause(p),
      'pod weave-net-node-1 Running; container init: waiting ImagePullBackOff (Back-off pulling image "img/init"); ' +
        'container weave-npc: waiting CrashLoopBackOff (back-off 5m0s restarting failed container), 7 restarts, ' +
        'last terminated Error exit 1: line one | line two | fatal: no route to 10.0.0.1',
    );
  });

  it('pods are matched to their DaemonSet by selector when they have no owner references', () => {
    const s = healthyWeave();
    s.pods = s.pods.map((p) =>
      p.metadata.name.startsWith('weave-net')
        ? {
            ...p,
            metadata: { name: p.metadata.name, namespace: 'kube-system', labels: { 'k8s-app': 'weave-net' } },
          }
        : p,
    );
    assert.deepEqual(clusterStatus(s).findings, []);
  });
});

describe('netpack status when the state ConfigMap is damaged', () => {
  let env: Env;
  before(async () => {
    env = await setup();
  });
  after(async () => {
    await env.close();
  });

  it('reports StateUnreadable with its parse error and how to fix it, not NotApplied', async () => {
    assert.equal((await env.np('apply', '-f', env.file('a.yml', calicoYaml()), '--no-wait')).code, 0);
    const cm = env.server.store.find('ConfigMap', 'netpack-state', 'kube-system')!;
    const cmType = env.server.store.registry.byKind('v1', 'ConfigMap')!;
    env.server.store.commit(cmType, {
      ...cm,
      data: { ...(cm.data as Record<string, string>), 'network.yaml': 'provider: [broken' },
    });
    const r = await env.np('status', '-o', 'json');
    assert.equal(r.code, 1, r.stdout);
    const report = JSON.parse(r.stdout) as { findings: Finding[] };
    const reasonsSeen = report.findings.map((f) => f.reason);
    assert.ok(reasonsSeen.includes('StateUnreadable'), r.stdout);
    assert.ok(!reasonsSeen.includes('NotApplied'), r.stdout);
    const f = report.findings.find((x) => x.reason === 'StateUnreadable')!;
    assert.equal(f.subject, 'ConfigMap kube-system/netpack-state');
    assert.match(f.cause!, /cannot be read: .*line 1, column 18$/);
    assert.match(
      f.fix!,
      /^fix or delete ConfigMap kube-system\/netpack-state .*; netpack apply rebuilds it from the live cluster/,
    );
    const text = await env.np('status');
    assert.match(text.stdout, /error StateUnreadable: ConfigMap kube-system\/netpack-state: /);
    assert.doesNotMatch(text.stdout, /has not applied a network/);
  });
});
