/**
 * `netpack status`: the checks an expert runs when pods have no network, as typed findings.
 * Pure: a snapshot of the cluster in, findings out (the shell reads the snapshot).
 */
import { parseCidr } from '../config/cidr.ts';
import type { NetworkConfig } from '../config/types.ts';
import { LEGACY_REGION_LABEL, REGION_LABEL } from '../peers/node.ts';
import { NODE as CALICO_NODE, IPPOOL_NAME, KUBE_CONTROLLERS } from '../providers/calico/constants.ts';
import { NODE_LOCAL_DNS_NAME } from '../providers/nodelocaldns/index.ts';
import { PEERS_CONTAINER, PEERS_PORT, WEAVE_NAME } from '../providers/weave/index.ts';
import { COMPONENT_LABEL } from '../render/types.ts';
import { type KubeletCoverage, type KubeletDns, kubeletDnsFindings } from './kubelet-dns.ts';
import type { RunningNetwork } from './running.ts';
import type { KubeObject } from './types.ts';

/** Why something is not healthy. A literal union: scripts may switch on it (`-o json`). */
export type FindingReason =
  | 'NotApplied'
  | 'StateUnreadable'
  | 'NetworkDaemonSetMissing'
  | 'DaemonSetNotReady'
  | 'NodeWithoutNetworkPod'
  | 'NetworkPodNotReady'
  | 'DeploymentNotAvailable'
  | 'NetworkUnavailable'
  | 'NodeWithoutPodCidr'
  | 'PodCidrOutsidePodNetwork'
  | 'IPPoolMissing'
  | 'IPPoolMismatch'
  | 'RegionsWithoutPeering'
  | 'PeeringSidecarMissing'
  | 'PeeringSidecarNotReady'
  | 'ProviderMismatch'
  | 'ForeignNetwork'
  | 'KubeletDnsUnanswered'
  | 'KubeletDnsBypassesCache';

export interface Finding {
  severity: 'error' | 'warning';
  reason: FindingReason;
  /** What it is about, e.g. `node node-2` or `DaemonSet kube-system/calico-node`. */
  subject: string;
  message: string;
  /** The evidence: pod phase, container waiting reason, restarts, last termination message. */
  cause?: string;
  fix?: string;
}

/** One line of the status table: a check and how it came out. */
export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

export interface StatusReport {
  healthy: boolean;
  checks: Check[];
  findings: Finding[];
}

export interface ClusterSnapshot {
  /** The applied network config (from the state ConfigMap, or the cluster file given). */
  network: NetworkConfig | undefined;
  nodes: KubeObject[];
  /** DaemonSets and Deployments netpack labelled. */
  daemonSets: KubeObject[];
  deployments: KubeObject[];
  /** Pods of the namespaces those run in. */
  pods: KubeObject[];
  ipPools: KubeObject[];
  /** Every pod network seen, whoever applied it (`running.ts`); absent: not looked for. */
  networks?: RunningNetwork[];
  /**
   * Why the state ConfigMap exists but cannot be read (then `network` is undefined): status
   * says so instead of "not applied".
   */
  stateProblem?: string;
  /** Kubelets' clusterDNS from their configz, where the API server shows it (kubelet-dns.ts). */
  kubelets?: KubeletDns[];
  /** How many nodes the kubelets read are of (a sample); absent: every node was asked. */
  kubeletCoverage?: KubeletCoverage;
  /** ClusterIPs of the Services in kube-system, when read. */
  kubeSystemServiceIps?: string[];
}

export { REGION_LABEL };

/** A node's region: the well-known label, else the deprecated one Pharos read (as the side-car does). */
function regionOf(node: KubeObject): string | undefined {
  const labels = node.metadata.labels ?? {};
  return labels[REGION_LABEL]?.trim() || labels[LEGACY_REGION_LABEL]?.trim() || undefined;
}

interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { reason?: string; message?: string; exitCode?: number };
  };
  lastState?: { terminated?: { reason?: string; message?: string; exitCode?: number } };
}

function conditionTrue(obj: KubeObject, type: string): boolean | undefined {
  const c = ((obj.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).find(
    (x) => x.type === type,
  );
  return c === undefined ? undefined : c.status === 'True';
}

function nodeMatches(node: KubeObject, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => node.metadata.labels?.[k] === v);
}

/**
 * Whether `pod` belongs to `owner`. A Deployment owns its pods through ReplicaSets named
 * `<deployment>-<pod-template-hash>` (the API never lists the Deployment itself as their owner).
 */
function ownedBy(pod: KubeObject, owner: KubeObject): boolean {
  const refs = (pod.metadata.ownerReferences ?? []) as { uid?: string; kind?: string; name?: string }[];
  if (refs.length > 0 && owner.kind === 'Deployment') {
    const prefix = `${owner.metadata.name}-`;
    return (
      pod.metadata.namespace === owner.metadata.namespace &&
      refs.some(
        (r) =>
          r.kind === 'ReplicaSet' &&
          r.name?.startsWith(prefix) === true &&
          /^[a-z0-9]+$/.test(r.name.slice(prefix.length)),
      )
    );
  }
  if (refs.length > 0)
    return refs.some((r) =>
      owner.metadata.uid
        ? r.uid === owner.metadata.uid
        : r.kind === owner.kind && r.name === owner.metadata.name,
    );
  const match =
    (owner.spec as { selector?: { matchLabels?: Record<string, string> } })?.selector?.matchLabels ?? {};
  return (
    pod.metadata.namespace === owner.metadata.namespace &&
    Object.entries(match).every(([k, v]) => pod.metadata.labels?.[k] === v)
  );
}

/** Waiting reason, restarts and last termination message of one container that is not ready. */
function containerBits(c: ContainerStatus): string[] {
  const bits: string[] = [];
  const waiting = c.state?.waiting;
  if (waiting?.reason)
    bits.push(`waiting ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`);
  if (c.restartCount) bits.push(`${c.restartCount} restarts`);
  const last = c.lastState?.terminated ?? c.state?.terminated;
  if (last)
    bits.push(
      `last terminated ${last.reason ?? ''} exit ${last.exitCode ?? '?'}${last.message ? `: ${last.message.trim().split('\n').slice(-3).join(' | ')}` : ''}`.replace(
        '  ',
        ' ',
      ),
    );
  return bits;
}

function podStatus(pod: KubeObject): {
  phase?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
} {
  return (pod.status ?? {}) as ReturnType<typeof podStatus>;
}

/**
 * Phase, waiting reason, restarts and last termination message of a pod that is not ready;
 * without the container `except` (the peering side-car, which has a finding of its own).
 */
export function podCause(pod: KubeObject, except?: string): string {
  const status = podStatus(pod);
  const parts = [`pod ${pod.metadata.name} ${status.phase ?? 'Unknown'}`];
  for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    if (c.ready || c.name === except) continue;
    const bits = containerBits(c);
    if (bits.length > 0) parts.push(`container ${c.name}: ${bits.join(', ')}`);
  }
  return parts.join('; ');
}

/** Waiting reasons of a container whose image cannot be pulled or named: it never ran. */
const IMAGE_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'ImageInspectError',
  'SignatureValidationFailed',
]);
/** The kubelet cannot build the container's config: a Secret, ConfigMap or key it references is missing. */
const CONFIG_REASONS = new Set(['CreateContainerConfigError']);
/** The runtime refused to create or start the container (it never ran either). */
const RUNTIME_REASONS = new Set([
  'CreateContainerError',
  'RunContainerError',
  'ContainerCannotRun',
  'PreCreateHookError',
  'PreStartHookError',
  'PostStartHookError',
  'StartError',
]);

/** The image a container of `pod` runs: its status says, else the pod spec. */
function imageOf(pod: KubeObject, c: ContainerStatus): string | undefined {
  if (c.image) return c.image;
  const spec = (pod.spec ?? {}) as {
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  };
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].find((x) => x.name === c.name)?.image;
}

/** Whether a container has run and ended at least once: only then has `kubectl logs --previous` something to show. */
function hasRun(c: ContainerStatus): boolean {
  return (
    (c.restartCount ?? 0) > 0 || c.lastState?.terminated !== undefined || c.state?.terminated !== undefined
  );
}

/**
 * What an operator should run (and check) for a pod that is not ready, judged on the containers
 * `failing` (not ready; init containers first). The waiting reason decides: a container that
 * never started (image, config, runtime, still creating) has no logs, its pod's Events say why;
 * one that crashed has logs of its previous run; one that runs but is not ready has current logs.
 */
function podFix(pod: KubeObject, failing: ContainerStatus[]): string {
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name;
  const describe = `kubectl -n ${ns} describe pod ${name}`;
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  const waiting = (c: ContainerStatus) => c.state?.waiting?.reason ?? '';
  const containerFlag = (cs: ContainerStatus[]) =>
    cs.length === 1 ? `-c ${cs[0]!.name}` : '--all-containers';

  const pulling = failing.filter((c) => IMAGE_REASONS.has(waiting(c)));
  if (pulling.length > 0) {
    const images = [...new Set(pulling.map((c) => imageOf(pod, c)).filter((i): i is string => !!i))];
    return (
      `${describe} (its Events show the pull error); check the image name${images.length ? ` (${images.join(', ')})` : ''}, ` +
      `that ${node ? `node ${node}` : 'the node'} can reach the registry, and network.image_repository if the cluster pulls from a mirror (then the image must be in it)`
    );
  }
  const config = failing.filter((c) => CONFIG_REASONS.has(waiting(c)));
  if (config.length > 0)
    return `${describe} (its Events name what is missing); check that the Secrets and ConfigMaps the pod references exist in namespace ${ns} with the keys it reads (netpack apply creates the ones netpack renders)`;
  const runtime = failing.filter(
    (c) =>
      RUNTIME_REASONS.has(waiting(c)) ||
      // Restarted after the runtime could not start it (StartError, ContainerCannotRun): no logs either.
      RUNTIME_REASONS.has((c.state?.terminated ?? c.lastState?.terminated)?.reason ?? ''),
  );
  if (runtime.length > 0)
    return `${describe} (its Events show the container runtime's error); check the container runtime on ${node ? `node ${node}` : 'the node'} (e.g. journalctl -u containerd there)`;
  const crashed = failing.filter((c) => hasRun(c) || waiting(c) === 'CrashLoopBackOff');
  if (crashed.length > 0) return `kubectl -n ${ns} logs ${name} ${containerFlag(crashed)} --previous`;
  const running = failing.filter((c) => c.state?.running !== undefined);
  if (running.length > 0)
    return `kubectl -n ${ns} logs ${name} ${containerFlag(running)}, and ${describe} (its Events show the failing readiness probe)`;
  // Not scheduled, still creating (ContainerCreating, PodInitializing), or no status yet.
  return `${describe} (its Events say what it waits for: scheduling, volumes, the pod sandbox, images)`;
}

/** The containers of `pod` that are not ready, init containers first, without `except`. */
function failingContainers(pod: KubeObject, except?: string): ContainerStatus[] {
  const status = podStatus(pod);
  return [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].filter(
    (c) => !c.ready && c.name !== except,
  );
}

/**
 * Whether the pod runs and every container but `except` is ready: for weave-net with the
 * peering side-car, the network works on that node even while the side-car is not ready.
 */
function readyApartFrom(pod: KubeObject, except: string): boolean {
  const status = podStatus(pod);
  const others = (status.containerStatuses ?? []).filter((c) => c.name !== except);
  return status.phase === 'Running' && others.length > 0 && others.every((c) => c.ready === true);
}

/** Why the side-car container of `pod` is not ready, or undefined when it is. */
function sidecarCause(pod: KubeObject, name: string): string | undefined {
  const status = podStatus(pod);
  const c = (status.containerStatuses ?? []).find((x) => x.name === name);
  if (!c) return `pod ${pod.metadata.name} ${status.phase ?? 'Unknown'}; no status for container ${name} yet`;
  if (c.ready) return undefined;
  const bits = containerBits(c);
  if (bits.length === 0)
    bits.push(
      c.state && 'running' in c.state
        ? `running, readiness probe (GET /healthz on port ${PEERS_PORT}) failing`
        : 'not ready',
    );
  return `pod ${pod.metadata.name}: container ${name}: ${bits.join(', ')}`;
}

/** Names of the containers of a workload's pod template. */
function templateContainers(obj: KubeObject | undefined): string[] {
  return (
    (obj?.spec as { template?: { spec?: { containers?: { name: string }[] } } })?.template?.spec
      ?.containers ?? []
  ).map((c) => c.name);
}

function isPodReady(pod: KubeObject): boolean {
  return (pod.status as { phase?: string })?.phase === 'Running' && conditionTrue(pod, 'Ready') === true;
}

function networkDaemonSetName(network: NetworkConfig): string | undefined {
  switch (network.provider) {
    case 'weave':
      return WEAVE_NAME;
    case 'calico':
      return CALICO_NODE;
    case 'custom':
      return undefined;
    default: {
      const unknown: never = network.provider;
      return unknown;
    }
  }
}

/** A DaemonSet's pods by node name, indexed once: O(1) per node, where scanning every pod for every node was O(nodes × pods) (3.3 s at 8,000 nodes). */
function podsByNode(ds: KubeObject, pods: readonly KubeObject[]): Map<string, KubeObject[]> {
  const byNode = new Map<string, KubeObject[]>();
  for (const p of pods) {
    if (!ownedBy(p, ds)) continue;
    const nodeName = (p.spec as { nodeName?: string })?.nodeName ?? '';
    const list = byNode.get(nodeName);
    if (list) list.push(p);
    else byNode.set(nodeName, [p]);
  }
  return byNode;
}

/** How a DaemonSet fares on one node: its pod ready (the network works there), and the side-car's. */
interface NodeVerdict {
  ready: boolean;
  /** Undefined without a side-car. */
  sidecarReady?: boolean;
  findings: Finding[];
}

/** The DaemonSet `ds` on `node`, whose pods of it are `onNode`. */
function judgeNode(
  ds: KubeObject,
  node: KubeObject,
  onNode: readonly KubeObject[],
  sidecar?: string,
): NodeVerdict {
  const name = node.metadata.name;
  if (onNode.length === 0)
    return {
      ready: false,
      findings: [
        {
          severity: 'error',
          reason: 'NodeWithoutNetworkPod',
          subject: `node ${name}`,
          message: `no ${ds.metadata.name} pod on node ${name}`,
          cause:
            conditionTrue(node, 'Ready') === false
              ? 'the node is NotReady'
              : 'the DaemonSet controller has not placed one (taints, node selector, or scheduling failure)',
          fix: `kubectl -n ${ds.metadata.namespace} describe daemonset ${ds.metadata.name}`,
        },
      ],
    };
  if (onNode.some(isPodReady)) return { ready: true, sidecarReady: true, findings: [] };
  const pod = onNode[0]!;
  const findings: Finding[] = [];
  const cause = sidecar ? sidecarCause(pod, sidecar) : undefined;
  if (sidecar && cause)
    findings.push({
      severity: 'error',
      reason: 'PeeringSidecarNotReady',
      subject: `node ${name}`,
      message: `the ${sidecar} peering side-car on node ${name} is not ready: weave's peers there are not kept up to date as nodes come and go`,
      cause,
      fix: podFix(
        pod,
        (podStatus(pod).containerStatuses ?? []).filter((c) => c.name === sidecar),
      ),
    });
  const sidecarReady = sidecar ? !cause : undefined;
  if (sidecar && readyApartFrom(pod, sidecar)) return { ready: true, sidecarReady, findings };
  findings.push({
    severity: 'error',
    reason: 'NetworkPodNotReady',
    subject: `node ${name}`,
    message: `${ds.metadata.name} pod on node ${name} is not ready`,
    cause: podCause(pod, sidecar),
    // Without the side-car: its state is a finding of its own, so the advice is weave's.
    fix: podFix(pod, failingContainers(pod, sidecar)),
  });
  return { ready: false, sidecarReady, findings };
}

/**
 * Every pod of a DaemonSet ready on every node it should run on; findings name each node that
 * lacks one. With `sidecar` (weave-net's peering side-car), that container is judged on its own:
 * the node's network works while only the side-car is not ready, but its peers are not kept up
 * to date, which is a finding of its own.
 */
function checkDaemonSet(
  ds: KubeObject,
  snap: ClusterSnapshot,
  role: string,
  findings: Finding[],
  checks: Check[],
  sidecar?: string,
): void {
  const subject = `DaemonSet ${ds.metadata.namespace}/${ds.metadata.name}`;
  const selector = (ds.spec as { template?: { spec?: { nodeSelector?: Record<string, string> } } })?.template
    ?.spec?.nodeSelector;
  const nodes = snap.nodes.filter((n) => nodeMatches(n, selector));
  const byNode = podsByNode(ds, snap.pods);
  const missing: string[] = [];
  const sidecarDown: string[] = [];
  let sidecarReady = 0;
  for (const node of nodes) {
    const verdict = judgeNode(ds, node, byNode.get(node.metadata.name) ?? [], sidecar);
    findings.push(...verdict.findings);
    if (!verdict.ready) missing.push(node.metadata.name);
    if (verdict.sidecarReady === true) sidecarReady++;
    else if (verdict.sidecarReady === false) sidecarDown.push(node.metadata.name);
  }
  const ok = missing.length === 0 && nodes.length > 0;
  checks.push({
    check: `${role} ${subject}`,
    ok,
    detail: `${nodes.length - missing.length}/${nodes.length} nodes ready${missing.length ? `; not on: ${missing.join(', ')}` : ''}`,
  });
  if (sidecar) {
    checks.push({
      check: `weave peering (side-car ${sidecar})`,
      ok: sidecarDown.length === 0,
      detail: `handled by the ${sidecar} side-car (netpack peers run), ready on ${sidecarReady}/${nodes.length} nodes${sidecarDown.length ? `; not ready on: ${sidecarDown.join(', ')}` : ''}`,
    });
  }
  if (!ok && missing.length === 0) {
    findings.push({
      severity: 'warning',
      reason: 'DaemonSetNotReady',
      subject,
      message: 'no node matches the DaemonSet',
    });
  }
}

function checkDeployment(dep: KubeObject, snap: ClusterSnapshot, findings: Finding[], checks: Check[]): void {
  const subject = `Deployment ${dep.metadata.namespace}/${dep.metadata.name}`;
  const want = (dep.spec as { replicas?: number })?.replicas ?? 1;
  const available = (dep.status as { availableReplicas?: number })?.availableReplicas ?? 0;
  const ok = available >= want;
  checks.push({ check: subject, ok, detail: `${available}/${want} available` });
  if (ok) return;
  const pods = snap.pods.filter(
    (p) => p.metadata.namespace === dep.metadata.namespace && ownedBy(p, dep) && !isPodReady(p),
  );
  findings.push({
    severity: 'error',
    reason: 'DeploymentNotAvailable',
    subject,
    message: `${available} of ${want} replicas available`,
    ...(pods.length > 0 ? { cause: pods.map((p) => podCause(p)).join(' / ') } : {}),
    // A pod that is there says more than the Deployment (which only counts replicas).
    fix:
      pods.length > 0
        ? podFix(pods[0]!, failingContainers(pods[0]!))
        : `kubectl -n ${dep.metadata.namespace} describe deployment ${dep.metadata.name}`,
  });
}

/** Why status cannot judge against an applied config: the state is damaged, or nothing was applied. */
function stateFindings(snap: ClusterSnapshot): Finding[] {
  if (snap.network) return [];
  if (snap.stateProblem)
    // The state exists but is damaged: "not applied" would be wrong, and so would applying anew
    // over it (apply stops on it too).
    return [
      {
        severity: 'error',
        reason: 'StateUnreadable',
        subject: 'ConfigMap kube-system/netpack-state',
        message:
          "netpack's stored state cannot be read, so status cannot tell which network was applied and judges only what it finds",
        cause: snap.stateProblem,
        fix: 'fix or delete ConfigMap kube-system/netpack-state (kubectl -n kube-system delete configmap netpack-state); netpack apply rebuilds it from the live cluster (or pass -f to status to check against a cluster file)',
      },
    ];
  return [
    {
      severity: 'error',
      reason: 'NotApplied',
      subject: 'ConfigMap kube-system/netpack-state',
      message: 'netpack has not applied a network to this cluster',
      fix: 'netpack apply -f cluster.yml (or pass -f to status to check against a cluster file)',
    },
  ];
}

/** What every check needs: the config, its network DaemonSet, what netpack runs, and whether they disagree. */
interface Judged {
  snap: ClusterSnapshot;
  network: NetworkConfig | undefined;
  dsName: string | undefined;
  /** Providers whose DaemonSet netpack applied (component label), as apply's guard reads them. */
  running: string[];
  /** The config names another provider than the one running. */
  mismatch: boolean;
  findings: Finding[];
  checks: Check[];
}

/**
 * The provider's DaemonSet. When the cluster file names another provider than the one running,
 * apply would refuse it: say that, and do not judge (or suggest applying) the file's objects.
 */
function checkNetworkDaemonSet(j: Judged): void {
  const { network, dsName, running, findings, checks } = j;
  if (!network) return;
  if (j.mismatch) {
    findings.push({
      severity: 'error',
      reason: 'ProviderMismatch',
      subject: 'network.provider',
      message: `the cluster file says ${network.provider}, but the cluster runs ${running.join(', ')} (applied by netpack): the network provider cannot be changed in place`,
      fix: 'check against the file this cluster was set up with, or run netpack status without -f (the applied config); changing the provider means rebuilding the cluster',
    });
    if (dsName)
      checks.push({
        check: `network DaemonSet kube-system/${dsName}`,
        ok: false,
        detail: `missing; the cluster runs ${running.join(', ')}`,
      });
    return;
  }
  if (!dsName) return;
  const ds = j.snap.daemonSets.find((d) => d.metadata.name === dsName);
  if (!ds) {
    findings.push({
      severity: 'error',
      reason: 'NetworkDaemonSetMissing',
      subject: `DaemonSet kube-system/${dsName}`,
      message: `the ${network.provider} DaemonSet does not exist`,
      fix: 'netpack apply -f cluster.yml',
    });
    checks.push({ check: `network DaemonSet kube-system/${dsName}`, ok: false, detail: 'missing' });
    return;
  }
  const sidecar =
    dsName === WEAVE_NAME && templateContainers(ds).includes(PEERS_CONTAINER) ? PEERS_CONTAINER : undefined;
  checkDaemonSet(ds, j.snap, 'network', findings, checks, sidecar);
}

/** netpack's other DaemonSets and its Deployments, and the Deployments the config says must run. */
function checkWorkloads(j: Judged): void {
  const { snap, network, findings, checks } = j;
  for (const ds of snap.daemonSets) {
    if (ds.metadata.name === j.dsName) continue;
    const role =
      ds.metadata.name === NODE_LOCAL_DNS_NAME
        ? 'node-local-dns'
        : // Without a config (state missing or unreadable), the provider's DaemonSet by its label.
          !network && j.running.includes(ds.metadata.labels?.[COMPONENT_LABEL] ?? '')
          ? 'network'
          : 'workload';
    checkDaemonSet(ds, snap, role, findings, checks);
  }
  for (const dep of snap.deployments) checkDeployment(dep, snap, findings, checks);
  // Deployments the config says must run (Typha only when the config turns it on).
  const expected =
    network?.provider === 'calico' && !j.mismatch
      ? [
          KUBE_CONTROLLERS,
          ...(network.calico.typha && network.calico.datastore === 'kubernetes' ? ['calico-typha'] : []),
        ]
      : [];
  for (const name of expected) {
    if (snap.deployments.some((d) => d.metadata.name === name)) continue;
    findings.push({
      severity: 'error',
      reason: 'DeploymentNotAvailable',
      subject: `Deployment kube-system/${name}`,
      message: `${name} does not exist`,
      fix: 'netpack apply -f cluster.yml',
    });
  }
}

/** One node's problems: NetworkUnavailable, no pod CIDR (custom manifests only), a pod CIDR outside the pod network. */
function nodeFindings(
  node: KubeObject,
  network: NetworkConfig | undefined,
  pod: ReturnType<typeof parseCidr> | undefined,
): Finding[] {
  const name = node.metadata.name;
  const out: Finding[] = [];
  if (conditionTrue(node, 'NetworkUnavailable') === true) {
    const c = (
      (node.status as { conditions?: { type: string; reason?: string; message?: string }[] })?.conditions ??
      []
    ).find((x) => x.type === 'NetworkUnavailable');
    out.push({
      severity: 'error',
      reason: 'NetworkUnavailable',
      subject: `node ${name}`,
      message: 'condition NetworkUnavailable is True',
      cause: [c?.reason, c?.message].filter(Boolean).join(': ') || undefined,
    });
  }
  const spec = (node.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
  const cidrs = spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : []);
  // Only custom manifests may rely on spec.podCIDR (flannel, host-local IPAM); Weave's and
  // Calico's IPAM allocate without it, so an empty one says nothing there.
  if (cidrs.length === 0 && network?.provider === 'custom')
    out.push({
      severity: 'warning',
      reason: 'NodeWithoutPodCidr',
      subject: `node ${name}`,
      message: 'spec.podCIDR is empty',
      fix: 'run kube-controller-manager with --allocate-node-cidrs and --cluster-cidr',
    });
  if (!pod?.ok) return out;
  for (const text of cidrs) {
    const c = parseCidr(text, { allowV6: true });
    if (!c.ok || c.value.family !== pod.value.family) continue;
    if (pod.value.start <= c.value.start && c.value.end <= pod.value.end) continue;
    out.push({
      severity: 'error',
      reason: 'PodCidrOutsidePodNetwork',
      subject: `node ${name}`,
      message: `spec.podCIDR ${text} is outside network.pod_network_cidr ${network!.pod_network_cidr}`,
    });
  }
  return out;
}

/** Nodes: NetworkUnavailable, pod CIDRs inside the pod network. */
function checkNodes(j: Judged): void {
  const pod = j.network ? parseCidr(j.network.pod_network_cidr, { allowV6: true }) : undefined;
  let nodeProblems = 0;
  for (const node of j.snap.nodes) {
    const found = nodeFindings(node, j.network, pod);
    nodeProblems += found.filter((f) => f.severity === 'error').length;
    j.findings.push(...found);
  }
  j.checks.push({
    check: 'nodes: network available, pod CIDRs inside the pod network',
    ok: nodeProblems === 0,
    detail: `${j.snap.nodes.length - nodeProblems}/${j.snap.nodes.length} fine`,
  });
}

/** Calico with the Kubernetes datastore: its IPPool exists with the config's pod CIDR. */
function checkIpPool(j: Judged): void {
  const network = j.network;
  if (network?.provider !== 'calico' || network.calico.datastore !== 'kubernetes' || j.mismatch) return;
  const pool = j.snap.ipPools.find((p) => p.metadata.name === IPPOOL_NAME);
  const cidr = (pool?.spec as { cidr?: string } | undefined)?.cidr;
  if (!pool)
    j.findings.push({
      severity: 'error',
      reason: 'IPPoolMissing',
      subject: `IPPool ${IPPOOL_NAME}`,
      message: 'the Calico IPPool does not exist',
      fix: 'netpack apply -f cluster.yml',
    });
  else if (cidr !== network.pod_network_cidr)
    j.findings.push({
      severity: 'error',
      reason: 'IPPoolMismatch',
      subject: `IPPool ${IPPOOL_NAME}`,
      message: `spec.cidr is ${cidr}, network.pod_network_cidr is ${network.pod_network_cidr}`,
    });
  j.checks.push({
    check: `Calico IPPool ${IPPOOL_NAME}`,
    ok: !!pool && cidr === network.pod_network_cidr,
    detail: pool ? `cidr ${cidr}` : 'missing',
  });
}

export function clusterStatus(snap: ClusterSnapshot): StatusReport {
  const network = snap.network;
  const running = [
    ...new Set(
      snap.daemonSets
        .map((d) => d.metadata.labels?.[COMPONENT_LABEL])
        .filter((c): c is string => c === 'weave' || c === 'calico'),
    ),
  ].sort();
  const j: Judged = {
    snap,
    network,
    dsName: network ? networkDaemonSetName(network) : undefined,
    running,
    mismatch: network !== undefined && running.length > 0 && !running.includes(network.provider),
    findings: [...stateFindings(snap), ...foreignNetworks(network, snap.networks ?? [])],
    checks: [],
  };
  checkNetworkDaemonSet(j);
  checkWorkloads(j);
  checkNodes(j);
  checkIpPool(j);
  if (network?.provider === 'weave' && !j.mismatch) checkPeering(network, snap, j.findings, j.checks);
  const kubeletDns = kubeletDnsFindings(snap);
  j.findings.push(...kubeletDns.findings);
  if (kubeletDns.check) j.checks.push(kubeletDns.check);
  return { healthy: !j.findings.some((f) => f.severity === 'error'), checks: j.checks, findings: j.findings };
}

/**
 * Weave's region-aware peering: whether the side-car runs that the config asks for, and
 * whether a cluster spanning regions has it at all. The side-car's readiness per node is
 * judged with the DaemonSet (`checkDaemonSet`).
 */
function checkPeering(
  network: NetworkConfig,
  snap: ClusterSnapshot,
  findings: Finding[],
  checks: Check[],
): void {
  const peering = network.weave.peering;
  const ds = snap.daemonSets.find((d) => d.metadata.name === WEAVE_NAME);
  const containers = templateContainers(ds);
  const hasSidecar = containers.includes(PEERS_CONTAINER);
  if (ds && peering.enabled && !hasSidecar) {
    findings.push({
      severity: 'warning',
      reason: 'PeeringSidecarMissing',
      subject: `DaemonSet kube-system/${WEAVE_NAME}`,
      message: `network.weave.peering.enabled is true but the DaemonSet runs only ${containers.join(', ')}, without the ${PEERS_CONTAINER} side-car`,
      fix: 'netpack apply -f cluster.yml',
    });
  }
  const regions = [...new Set(snap.nodes.map(regionOf).filter((r): r is string => r !== undefined))].sort();
  if (regions.length <= 1) return;
  let detail = `nodes span ${regions.join(', ')}`;
  if (peering.enabled && ds && !hasSidecar) {
    detail += `; peering enabled but the ${PEERS_CONTAINER} side-car is missing`;
  } else if (hasSidecar || peering.enabled) {
    detail += `; peering handled by the ${PEERS_CONTAINER} side-car, kubelet DNAT ${peering.kubelet_dnat ? 'on' : 'off'}`;
  } else {
    detail += '; region-aware peering off';
    findings.push({
      severity: 'warning',
      reason: 'RegionsWithoutPeering',
      subject: 'network.weave.peering',
      message: `nodes span regions ${regions.join(', ')} but region-aware peering is off: weave connects nodes by their internal addresses, which are usually not reachable across regions`,
      fix: 'set network.weave.peering.enabled: true in cluster.yml and run netpack apply',
    });
  }
  checks.push({ check: 'regions', ok: true, detail });
}

/**
 * The FINDINGS block of a report for people (status, check): each finding on a line, its cause
 * and fix indented under it; nothing when there are none.
 */
export function findingLines(findings: readonly (Omit<Finding, 'reason'> & { reason: string })[]): string[] {
  if (findings.length === 0) return [];
  const lines = ['', 'FINDINGS'];
  for (const f of findings) {
    lines.push(`${f.severity} ${f.reason}: ${f.subject}: ${f.message}`);
    if (f.cause) lines.push(`    cause: ${f.cause}`);
    if (f.fix) lines.push(`    fix:   ${f.fix}`);
  }
  return lines;
}

/** The human table: one line per check, then each finding with its cause and fix. */
export function formatStatus(report: StatusReport): string {
  const width = Math.max(5, ...report.checks.map((c) => c.check.length));
  const lines = [`${'CHECK'.padEnd(width)}  OK   DETAIL`];
  for (const c of report.checks) lines.push(`${c.check.padEnd(width)}  ${c.ok ? 'yes' : 'NO '}  ${c.detail}`);
  lines.push(...findingLines(report.findings));
  lines.push('', report.healthy ? 'healthy' : 'NOT healthy');
  return `${lines.join('\n')}\n`;
}

/**
 * A pod network netpack did not apply, of another provider than the applied one (or, with
 * nothing applied, beside a first one), or Calico under the Tigera operator: pods get addresses
 * and routes from two places, or netpack's objects are fought over. netpack's own DaemonSets of
 * another provider are ProviderMismatch.
 */
function foreignNetworks(network: NetworkConfig | undefined, running: readonly RunningNetwork[]): Finding[] {
  const expected = network?.provider ?? running[0]?.provider;
  return running
    .filter((n) => !n.ours && (n.provider !== expected || (n.operator && network)))
    .map((n) => ({
      severity: 'error' as const,
      reason: 'ForeignNetwork' as const,
      subject: n.where,
      message: n.operator
        ? 'Calico here is managed by the Tigera operator, which would undo what netpack applies'
        : `a second pod network runs: ${n.provider}${n.ours ? ' (applied by netpack)' : ' (not applied by netpack)'}, beside ${expected}`,
      fix: `remove what runs the ${n.provider} network (${n.where}) if it is left over; if it is the one in use, netpack must not manage this cluster's network as ${expected}`,
    }));
}
