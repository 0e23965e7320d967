import type { KubeObject } from '../../render/types.ts';
import {
  APP_LABEL,
  CALICO_IMAGES,
  CONFIG_MAP,
  ETCD_SECRET,
  ETCD_SECRETS_DIR,
  NAMESPACE,
  NODE,
} from './constants.ts';
import type { CalicoSettings } from './settings.ts';

/** One container env entry, as the Kubernetes API spells it. */
export type EnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: Record<string, Record<string, string>> };

function literal(name: string, value: string): EnvVar {
  return { name, value };
}

function fromConfig(name: string, key: string): EnvVar {
  return { name, valueFrom: { configMapKeyRef: { name: CONFIG_MAP, key } } };
}

function fromField(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** Lets an eBPF-mode install override KUBERNETES_SERVICE_HOST/PORT; upstream marks it optional. */
const SERVICES_ENDPOINT_FROM = [{ configMapRef: { name: 'kubernetes-services-endpoint', optional: true } }];

/** The etcd location and TLS file paths, from calico-config. */
function etcdEnv(): EnvVar[] {
  return [
    fromConfig('ETCD_ENDPOINTS', 'etcd_endpoints'),
    fromConfig('ETCD_CA_CERT_FILE', 'etcd_ca'),
    fromConfig('ETCD_KEY_FILE', 'etcd_key'),
    fromConfig('ETCD_CERT_FILE', 'etcd_cert'),
  ];
}

/**
 * calico-node's env: upstream's list with the pool, NAT and address-detection settings filled
 * in, then the operator's `environment` (sorted by name), which replaces same-named entries. The
 * operator's entries come last so they may refer to any other with `$(NAME)`.
 */
export function calicoNodeEnv(s: CalicoSettings): EnvVar[] {
  const env: EnvVar[] = [
    ...(s.datastore === 'kubernetes'
      ? [
          literal('DATASTORE_TYPE', 'kubernetes'),
          // With Typha, Felix reads the datastore through the Service calico-config names.
          ...(s.typha ? [fromConfig('FELIX_TYPHAK8SSERVICENAME', 'typha_service_name')] : []),
          literal('WAIT_FOR_DATASTORE', 'true'),
          fromField('NODENAME', 'spec.nodeName'),
        ]
      : [...etcdEnv(), fromField('CALICO_K8S_NODE_REF', 'spec.nodeName')]),
    fromConfig('CALICO_NETWORKING_BACKEND', 'calico_backend'),
    literal('CLUSTER_TYPE', 'k8s,bgp'),
    // Auto-detect the BGP and tunnel address by network.calico.ip_autodetection_method.
    literal('IP', 'autodetect'),
    literal('IP_AUTODETECTION_METHOD', s.autodetectionMethod),
    literal('CALICO_IPV4POOL_IPIP', s.ipipMode),
    literal('CALICO_IPV4POOL_VXLAN', s.vxlanMode),
    // IPv6 is off (FELIX_IPV6SUPPORT); upstream still mirrors the IPv4 VXLAN mode here.
    literal('CALICO_IPV6POOL_VXLAN', s.vxlanMode),
    // Tunnel MTUs follow the workload MTU, as upstream wires them ("0" = detect).
    fromConfig('FELIX_IPINIPMTU', 'veth_mtu'),
    fromConfig('FELIX_VXLANMTU', 'veth_mtu'),
    fromConfig('FELIX_WIREGUARDMTU', 'veth_mtu'),
    // The pool calico-node creates on first start when there is none; in the kubernetes
    // datastore netpack also renders it as IPPool default-ipv4-ippool.
    literal('CALICO_IPV4POOL_CIDR', s.podCidr),
    literal('CALICO_IPV4POOL_NAT_OUTGOING', String(s.natOutgoing)),
    // Disable file logging so `kubectl logs` works.
    literal('CALICO_DISABLE_FILE_LOGGING', 'true'),
    literal('FELIX_DEFAULTENDPOINTTOHOSTACTION', 'ACCEPT'),
    literal('FELIX_IPV6SUPPORT', 'false'),
    literal('FELIX_HEALTHENABLED', 'true'),
  ];
  const overridden = new Set(s.environment.map(([name]) => name));
  return [
    ...env.filter((e) => !overridden.has(e.name)),
    ...s.environment.map(([name, value]) => literal(name, value)),
  ];
}

function hostPath(name: string, path: string, type?: string): Record<string, unknown> {
  return { name, hostPath: type ? { path, type } : { path } };
}

/** Upgrades host-local IPAM allocations to calico-ipam (kubernetes datastore only, as upstream). */
function upgradeIpam(): Record<string, unknown> {
  return {
    name: 'upgrade-ipam',
    image: CALICO_IMAGES.cni,
    imagePullPolicy: 'IfNotPresent',
    command: ['/opt/cni/bin/calico-ipam', '-upgrade'],
    envFrom: structuredClone(SERVICES_ENDPOINT_FROM),
    env: [
      fromField('KUBERNETES_NODE_NAME', 'spec.nodeName'),
      fromConfig('CALICO_NETWORKING_BACKEND', 'calico_backend'),
    ],
    volumeMounts: [
      { mountPath: '/var/lib/cni/networks', name: 'host-local-net-dir' },
      { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
    ],
    securityContext: { privileged: true },
  };
}

/** Installs the CNI binaries and network config on each node. */
function installCni(s: CalicoSettings): Record<string, unknown> {
  const kdd = s.datastore === 'kubernetes';
  return {
    name: 'install-cni',
    image: CALICO_IMAGES.cni,
    imagePullPolicy: 'IfNotPresent',
    command: ['/opt/cni/bin/install'],
    envFrom: structuredClone(SERVICES_ENDPOINT_FROM),
    env: [
      literal('CNI_CONF_NAME', '10-calico.conflist'),
      fromConfig('CNI_NETWORK_CONFIG', 'cni_network_config'),
      kdd
        ? fromField('KUBERNETES_NODE_NAME', 'spec.nodeName')
        : fromConfig('ETCD_ENDPOINTS', 'etcd_endpoints'),
      fromConfig('CNI_MTU', 'veth_mtu'),
      // Exit when done instead of sleeping forever.
      literal('SLEEP', 'false'),
    ],
    volumeMounts: [
      { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
      { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
      ...(kdd ? [] : [{ mountPath: ETCD_SECRETS_DIR, name: 'etcd-certs' }]),
    ],
    securityContext: { privileged: true },
  };
}

/**
 * Mounts bpffs at /sys/fs/bpf and cgroup2 at /run/calico/cgroup for the eBPF data plane, best
 * effort so that the iptables data plane is never held up. Bidirectional propagation lets the
 * mounts outlive the init container.
 */
function ebpfBootstrap(): Record<string, unknown> {
  return {
    name: 'ebpf-bootstrap',
    image: CALICO_IMAGES.node,
    imagePullPolicy: 'IfNotPresent',
    command: ['calico-node', '-init', '-best-effort'],
    volumeMounts: [
      { mountPath: '/sys/fs', name: 'sys-fs', mountPropagation: 'Bidirectional' },
      { mountPath: '/var/run/calico', name: 'var-run-calico', mountPropagation: 'Bidirectional' },
      { mountPath: '/nodeproc', name: 'nodeproc', readOnly: true },
    ],
    securityContext: { privileged: true },
  };
}

function calicoNodeContainer(s: CalicoSettings): Record<string, unknown> {
  // BIRD's health only counts when BIRD runs: calico-vxlan.yaml drops -bird-live/-bird-ready.
  const bird = s.backend === 'bird';
  return {
    name: NODE,
    image: CALICO_IMAGES.node,
    imagePullPolicy: 'IfNotPresent',
    envFrom: structuredClone(SERVICES_ENDPOINT_FROM),
    env: calicoNodeEnv(s),
    securityContext: { privileged: true },
    resources: { requests: { cpu: '250m' } },
    lifecycle: { preStop: { exec: { command: ['/bin/calico-node', '-shutdown'] } } },
    livenessProbe: {
      exec: { command: ['/bin/calico-node', '-felix-live', ...(bird ? ['-bird-live'] : [])] },
      periodSeconds: 10,
      initialDelaySeconds: 10,
      failureThreshold: 6,
      timeoutSeconds: 10,
    },
    readinessProbe: {
      exec: { command: ['/bin/calico-node', '-felix-ready', ...(bird ? ['-bird-ready'] : [])] },
      periodSeconds: 10,
      timeoutSeconds: 10,
    },
    volumeMounts: [
      // The CNI plugin's API credentials are kept up to date here.
      { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir', readOnly: false },
      { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
      { mountPath: '/run/xtables.lock', name: 'xtables-lock', readOnly: false },
      { mountPath: '/var/run/calico', name: 'var-run-calico', readOnly: false },
      { mountPath: '/var/lib/calico', name: 'var-lib-calico', readOnly: false },
      ...(s.datastore === 'etcd' ? [{ mountPath: ETCD_SECRETS_DIR, name: 'etcd-certs' }] : []),
      { name: 'policysync', mountPath: '/var/run/nodeagent' },
      { name: 'bpffs', mountPath: '/sys/fs/bpf' },
      { name: 'cni-log-dir', mountPath: '/var/log/calico/cni', readOnly: true },
    ],
  };
}

function nodeVolumes(s: CalicoSettings): Record<string, unknown>[] {
  const kdd = s.datastore === 'kubernetes';
  return [
    hostPath('lib-modules', '/lib/modules'),
    hostPath('var-run-calico', '/var/run/calico', 'DirectoryOrCreate'),
    hostPath('var-lib-calico', '/var/lib/calico', 'DirectoryOrCreate'),
    hostPath('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
    hostPath('sys-fs', '/sys/fs/', 'DirectoryOrCreate'),
    hostPath('bpffs', '/sys/fs/bpf', 'Directory'),
    // Host /proc, for ebpf-bootstrap to mount the root cgroup2 fs.
    hostPath('nodeproc', '/proc'),
    hostPath('cni-bin-dir', '/opt/cni/bin', 'DirectoryOrCreate'),
    hostPath('cni-net-dir', '/etc/cni/net.d'),
    hostPath('cni-log-dir', '/var/log/calico/cni'),
    ...(kdd
      ? [hostPath('host-local-net-dir', '/var/lib/cni/networks')]
      : // Owner-read only (0400): these are the etcd client's TLS key and certificates.
        [{ name: 'etcd-certs', secret: { secretName: ETCD_SECRET, defaultMode: 0o400 } }]),
    // Per-pod Unix domain sockets (policy sync API).
    { name: 'policysync', hostPath: { type: 'DirectoryOrCreate', path: '/var/run/nodeagent' } },
  ];
}

/** DaemonSet calico-node: CNI install, eBPF bootstrap and Felix/BIRD/confd on every Linux node. */
export function calicoNodeDaemonSet(s: CalicoSettings): KubeObject {
  const labels = { [APP_LABEL]: NODE };
  return {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    metadata: { name: NODE, namespace: NAMESPACE, labels: { ...labels } },
    spec: {
      selector: { matchLabels: { ...labels } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          hostNetwork: true,
          tolerations: [
            // Run on every node, whatever its taints.
            { effect: 'NoSchedule', operator: 'Exists' },
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
          ],
          serviceAccountName: NODE,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          // Force deletion keeps the gap in networking short during a rolling upgrade.
          terminationGracePeriodSeconds: 0,
          priorityClassName: 'system-node-critical',
          initContainers: [
            ...(s.datastore === 'kubernetes' ? [upgradeIpam()] : []),
            installCni(s),
            ebpfBootstrap(),
          ],
          containers: [calicoNodeContainer(s)],
          volumes: nodeVolumes(s),
        },
      },
    },
  };
}
