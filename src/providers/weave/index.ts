/**
 * Weave Net, rendered from the `network:` section.
 *
 * The objects follow upstream's `weave-daemonset-k8s-1.11.yaml` (v2.8.1, and the maintained
 * fork's v2.9.0, which differs only in image names and CHECKPOINT_DISABLE): the same
 * ServiceAccount, RBAC rules, DaemonSet containers, probes, volumes, security context and
 * tolerations. What we change, and why:
 * - images are pinned to the release tag instead of `:latest`, so pulls are `IfNotPresent`
 *   (upstream's `Always` only makes sense for a moving tag);
 * - the `weave` container gets env vars and args for the options (see `weaveEnv`,
 *   `launchArgs`), read by the image's `launch.sh`;
 * - two headless Services let Prometheus discover the metrics endpoints (upstream ships none);
 * - Secret `weave-passwd`, when the operator gave a password file and asked for secrets;
 * - the peering side-car and, with the default node image, ConfigMap `weave-net-peers` holding
 *   its script.
 *
 * Pure: no I/O. The password file's contents and the side-car script arrive in `RenderInputs`.
 */

import { nodeCrypto } from '../../builtin.ts';
import { WEAVE_CONN_LIMIT } from '../../config/defaults.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { ClusterConfig, WeaveConfig, WeaveVersion } from '../../config/types.ts';
import { NODE_IMAGE } from '../../render/node-image.ts';
import type {
  KubeObject,
  PendingSecret,
  ProviderOutput,
  RenderInputs,
  RenderOptions,
} from '../../render/types.ts';
import { remoteRoutes } from './remote-subnets.ts';

/** Upstream Weave Net's last release; later ones come from the maintained fork. */
export const WEAVE_UPSTREAM_VERSION = '2.8.1';

/**
 * The weave-kube and weave-npc images of a release: upstream's `weaveworks/...` for 2.8.1, the
 * maintained fork's `rajchaudhuri/...` (github.com/rajch/weave) for 2.8.2 to 2.9.0. Both keep
 * the last path segments, so a mirror (`image_repository`) holds either as REPO/weave-kube:TAG.
 */
export function weaveImages(version: WeaveVersion): { kube: string; npc: string } {
  const owner = version === WEAVE_UPSTREAM_VERSION ? 'weaveworks' : 'rajchaudhuri';
  return { kube: `${owner}/weave-kube:${version}`, npc: `${owner}/weave-npc:${version}` };
}

export const WEAVE_NAMESPACE = 'kube-system';
/** Name of every upstream object and value of the `name` label that selects the pods. */
export const WEAVE_NAME = 'weave-net';
/** Secret and key that hold the shared secret; `WEAVE_PASSWORD` reads it. */
export const WEAVE_PASSWORD_SECRET = 'weave-passwd';
export const WEAVE_PASSWORD_KEY = 'weave-passwd';
/** Router metrics: launch.sh's default `WEAVE_METRICS_ADDR` is 0.0.0.0:6782, path /metrics. */
export const WEAVE_METRICS_PORT = 6782;
/** weave-npc's `--metrics-addr` default is :6781, path /metrics. */
export const WEAVE_NPC_METRICS_PORT = 6781;
/** launch.sh's default `WEAVE_HTTP_ADDR` is 127.0.0.1:6784; `/status` there is the readiness check. */
export const WEAVE_HTTP_PORT = 6784;
/** What `source` says when no password file is given (Pharos generated one the same way). */
export const GENERATED_PASSWORD_SOURCE = '48 random hex characters generated at first apply';

const labels = (): Record<string, string> => ({ name: WEAVE_NAME });

/** Renders every Weave Net object for `config`, in a fixed order. */
export function renderWeave(
  config: ClusterConfig,
  inputs: RenderInputs,
  opts: RenderOptions,
): ProviderOutput {
  const weave = config.network.weave;
  const diagnostics: Diagnostic[] = [];
  const objects: KubeObject[] = [
    serviceAccount(),
    clusterRole(weave),
    clusterRoleBinding(),
    role(),
    roleBinding(),
  ];
  const pendingSecrets: PendingSecret[] = [];

  const secret = passwordSecret(weave, inputs, opts, diagnostics);
  if (secret) objects.push(secret);
  else pendingSecrets.push(pendingPasswordSecret(weave));

  const script = peersScript(config, inputs, diagnostics);
  if (script) objects.push(script.configMap);
  objects.push(
    daemonSet(config, script?.digest),
    metricsService('weave-net-metrics', WEAVE_METRICS_PORT),
    metricsService('weave-npc-metrics', WEAVE_NPC_METRICS_PORT),
  );
  const routes = remoteRoutes(config); // multi-cluster: see remote-subnets.ts
  if (routes) objects.push(routes);
  return diagnostics.length > 0 ? { objects, pendingSecrets, diagnostics } : { objects, pendingSecrets };
}

function serviceAccount(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: WEAVE_NAME, namespace: WEAVE_NAMESPACE, labels: labels() },
  };
}

/**
 * The rules of upstream's ClusterRole, no broader — plus, only with kubelet DNAT, `patch` on
 * nodes. The peering side-car needs no more than upstream's list/watch on nodes otherwise.
 */
function clusterRole(weave: WeaveConfig): KubeObject {
  const rules: Record<string, unknown>[] = [
    // kube-utils lists nodes for the initial peer list; weave-npc watches pods and namespaces;
    // the peering side-car (network.weave.peering) lists and watches nodes with this rule too.
    { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
    // weave-npc enforces NetworkPolicy; upstream still lists the pre-1.16 API group too.
    { apiGroups: ['extensions'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
    // kube-utils -set-node-status clears the NetworkUnavailable condition once the network is up.
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
  ];
  if (weave.peering.enabled && weave.peering.kubelet_dnat) {
    // Kubelet DNAT: each side-car annotates its own node with its weave bridge address
    // (weave.kontena.io/bridge-ip) so other regions know where to send kubelet traffic. RBAC
    // cannot limit this to "own node" (names are unknown at render), hence only behind the switch.
    rules.push({ apiGroups: [''], resources: ['nodes'], verbs: ['patch'] });
  }
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: WEAVE_NAME, labels: labels() },
    rules,
  };
}

function clusterRoleBinding(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: WEAVE_NAME, labels: labels() },
    roleRef: { kind: 'ClusterRole', name: WEAVE_NAME, apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ kind: 'ServiceAccount', name: WEAVE_NAME, namespace: WEAVE_NAMESPACE }],
  };
}

/** The rules of upstream's Role, no broader. */
function role(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: WEAVE_NAME, namespace: WEAVE_NAMESPACE, labels: labels() },
    rules: [
      // Peer reclaim keeps its list of peers in ConfigMap weave-net, and may touch only that one...
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [WEAVE_NAME], verbs: ['get', 'update'] },
      // ...but `create` cannot be limited by name, so it is granted on its own.
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    ],
  };
}

function roleBinding(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: WEAVE_NAME, namespace: WEAVE_NAMESPACE, labels: labels() },
    roleRef: { kind: 'Role', name: WEAVE_NAME, apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ kind: 'ServiceAccount', name: WEAVE_NAME, namespace: WEAVE_NAMESPACE }],
  };
}

/**
 * Secret `weave-passwd` with the password file's contents, only when the operator named a file
 * and asked for secrets in the output. Otherwise null: apply creates it (see `pendingPasswordSecret`).
 */
function passwordSecret(
  weave: WeaveConfig,
  inputs: RenderInputs,
  opts: RenderOptions,
  diagnostics: Diagnostic[],
): KubeObject | null {
  if (weave.password === undefined || !opts.includeSecrets) return null;
  if (inputs.weavePassword === undefined) {
    diagnostics.push({
      code: 'InputNotRead',
      severity: 'error',
      path: 'network.weave.password',
      message: `the password file ${weave.password} was not read, so Secret ${WEAVE_PASSWORD_SECRET} cannot be rendered`,
    });
    return null;
  }
  const password = weavePasswordOf(inputs.weavePassword);
  if (password === '') {
    // weaver treats an empty WEAVE_PASSWORD as "no password" and runs unencrypted: refuse.
    diagnostics.push({
      code: 'EmptyPassword',
      severity: 'error',
      path: 'network.weave.password',
      message: `the password file ${weave.password} is empty; Weave would run unencrypted`,
      hint: 'put the shared secret in the file, or remove network.weave.password to have one generated',
    });
    return null;
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: WEAVE_PASSWORD_SECRET, namespace: WEAVE_NAMESPACE, labels: labels() },
    type: 'Opaque',
    data: { [WEAVE_PASSWORD_KEY]: Buffer.from(password, 'utf8').toString('base64') },
  };
}

/**
 * The password in a password file, read as Pharos read it: surrounding whitespace stripped (a
 * trailing newline, the indentation or spaces an editor leaves), so clusters that share a
 * secret through differently saved files agree. The multi-cluster digest reads it the same way.
 */
export function weavePasswordOf(contents: string): string {
  return contents.trim();
}

/** The Secret apply creates once, if missing, when render did not print it. */
function pendingPasswordSecret(weave: WeaveConfig): PendingSecret {
  return {
    namespace: WEAVE_NAMESPACE,
    name: WEAVE_PASSWORD_SECRET,
    source: weave.password === undefined ? GENERATED_PASSWORD_SOURCE : `file ${weave.password}`,
    createOnly: true,
  };
}

/**
 * Env of the `weave` container: upstream's two, then one per option, each read by the image's
 * `launch.sh` (see ../shared/upstream/weave-v2.9.0-fork/launch.sh; 2.8.1's reads the same, less
 * IPTABLES_BACKEND):
 * - `IPALLOC_RANGE` → `--ipalloc-range` (the pod network; launch.sh's own default is 10.32.0.0/12).
 * - `CHECKPOINT_DISABLE=1` → no calls home to check for new versions.
 * - `NO_MASQ_LOCAL`: launch.sh passes `--no-masq-local` unless the value is exactly "0" (on by
 *   default since 2.7.0), so `no_masq_local: false` must say "0" explicitly.
 * - `CONN_LIMIT` → `--conn-limit` (see `WEAVE_CONN_LIMIT` in config/defaults.ts).
 * - `EXTRA_ARGS`: launch.sh word-splits it into weaver's arguments (CIDRs have no spaces).
 * - No `KUBE_PEERS`: without it launch.sh asks kube-utils for the Kubernetes node list, so this
 *   cluster's nodes always peer with each other, and IP allocation waits for consensus among
 *   that many peers. (Setting it to the known peers, as netpack did, replaced the node list: the
 *   nodes then met only through the other cluster, and the consensus counted its nodes.) The
 *   known peers travel as the container's args instead (see `launchArgs`).
 * - `IPALLOC_INIT=observer` only with `weave.ipalloc_init: observer`; otherwise launch.sh's
 *   default, `consensus=<nodes>`.
 * - `IPTABLES_BACKEND` only when `weave.iptables_backend` is not `auto` (launch.sh detects it).
 * - `WEAVE_PASSWORD` from the Secret; weaver encrypts traffic between untrusted peers with it.
 */
function weaveEnv(config: ClusterConfig): unknown[] {
  const weave = config.network.weave;
  const env: unknown[] = [
    { name: 'INIT_CONTAINER', value: 'true' },
    { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
    { name: 'IPALLOC_RANGE', value: config.network.pod_network_cidr },
    { name: 'CHECKPOINT_DISABLE', value: '1' },
    { name: 'NO_MASQ_LOCAL', value: weave.no_masq_local ? '1' : '0' },
    { name: 'CONN_LIMIT', value: String(WEAVE_CONN_LIMIT) },
  ];
  const extraArgs = weaverExtraArgs(weave);
  if (extraArgs.length > 0) env.push({ name: 'EXTRA_ARGS', value: extraArgs.join(' ') });
  if (weave.ipalloc_init === 'observer') env.push({ name: 'IPALLOC_INIT', value: 'observer' });
  env.push(...iptablesBackendEnv(weave));
  env.push({
    name: 'WEAVE_PASSWORD',
    valueFrom: { secretKeyRef: { name: WEAVE_PASSWORD_SECRET, key: WEAVE_PASSWORD_KEY } },
  });
  return env;
}

/**
 * IPTABLES_BACKEND for both containers when the operator chose one: the fork's launch.sh reads
 * it in the `weave` container; weave-npc gets the same value so both agree on the backend.
 */
function iptablesBackendEnv(weave: WeaveConfig): unknown[] {
  return weave.iptables_backend === 'auto'
    ? []
    : [{ name: 'IPTABLES_BACKEND', value: weave.iptables_backend }];
}

/**
 * Args of the `weave` container: launch.sh passes its own arguments ("$@") to weaver after every
 * flag and before the node list, where weaver reads them as peers. So the known peers (other
 * clusters' nodes) are added to this cluster's own nodes instead of replacing them.
 */
function launchArgs(weave: WeaveConfig): string[] {
  return [...weave.known_peers];
}

/** weaver flags for the options that have no env var of their own. */
export function weaverExtraArgs(weave: WeaveConfig): string[] {
  const args: string[] = [];
  if (weave.trusted_subnets.length > 0) args.push(`--trusted-subnets=${weave.trusted_subnets.join(',')}`);
  if (weave.ipalloc_default_subnet !== undefined)
    args.push(`--ipalloc-default-subnet=${weave.ipalloc_default_subnet}`);
  // The side-car hands the router its peers (private within a region, public across); peers
  // that discovery gossips would bring back the unreachable private addresses of other regions.
  if (weave.peering.enabled) args.push('--no-discovery');
  return args;
}

const xtablesLockMount = () => ({ name: 'xtables-lock', mountPath: '/run/xtables.lock', readOnly: false });

/** Installs the CNI plugin and config on the host and checks kernel modules (upstream's init.sh). */
function initContainer(weave: WeaveConfig): Record<string, unknown> {
  return {
    name: 'weave-init',
    image: weaveImages(weave.image_version).kube,
    imagePullPolicy: 'IfNotPresent',
    command: ['/home/weave/init.sh'],
    securityContext: { privileged: true },
    volumeMounts: [
      { name: 'cni-bin', mountPath: '/host/opt' },
      { name: 'cni-bin2', mountPath: '/host/home' },
      { name: 'cni-conf', mountPath: '/host/etc' },
      { name: 'lib-modules', mountPath: '/lib/modules' },
      xtablesLockMount(),
    ],
  };
}

function weaveContainer(config: ClusterConfig): Record<string, unknown> {
  const args = launchArgs(config.network.weave);
  return {
    name: 'weave',
    command: ['/home/weave/launch.sh'],
    ...(args.length > 0 ? { args } : {}),
    env: weaveEnv(config),
    image: weaveImages(config.network.weave.image_version).kube,
    imagePullPolicy: 'IfNotPresent',
    readinessProbe: { httpGet: { host: '127.0.0.1', path: '/status', port: WEAVE_HTTP_PORT } },
    resources: { requests: { cpu: '50m' } },
    securityContext: { privileged: true },
    volumeMounts: [
      { name: 'weavedb', mountPath: '/weavedb' },
      { name: 'dbus', mountPath: '/host/var/lib/dbus', readOnly: true },
      { name: 'cni-machine-id', mountPath: '/host/etc/machine-id', readOnly: true },
      xtablesLockMount(),
    ],
  };
}

function npcContainer(weave: WeaveConfig): Record<string, unknown> {
  return {
    name: 'weave-npc',
    env: [
      { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      ...iptablesBackendEnv(weave),
    ],
    image: weaveImages(weave.image_version).npc,
    imagePullPolicy: 'IfNotPresent',
    resources: { requests: { cpu: '50m' } },
    securityContext: { privileged: true },
    volumeMounts: [xtablesLockMount()],
  };
}

/** Port of the peering side-car's /healthz and /metrics (next to Weave's 6781-6784). */
export const PEERS_PORT = 6788;
export const PEERS_CONTAINER = 'weave-peers';

/** ConfigMap holding the side-car script, mounted read-only at `PEERS_SCRIPT_DIR`. */
export const PEERS_SCRIPT_CONFIGMAP = 'weave-net-peers';
export const PEERS_SCRIPT_KEY = 'sidecar.cjs';
export const PEERS_SCRIPT_DIR = '/netpack';
/** Pod template annotation with the script's SHA-256: a new script rolls the pods. */
export const PEERS_SCRIPT_DIGEST_ANNOTATION = 'netpack.io/peers-script-sha256';

/** Whether the side-car runs as netpack's script on the official node image (the default). */
export function peersFromScript(config: ClusterConfig): boolean {
  const peering = config.network.weave.peering;
  return peering.enabled && peering.image === NODE_IMAGE;
}

/**
 * ConfigMap `weave-net-peers` with the side-car script (dist/netpack-sidecar.cjs, read by the
 * shell into `RenderInputs.peersScript`), and its digest; null when the side-car is off or
 * runs from a self-built image. A missing script is an error: the pods could not start.
 */
function peersScript(
  config: ClusterConfig,
  inputs: RenderInputs,
  diagnostics: Diagnostic[],
): { configMap: KubeObject; digest: string } | null {
  if (!peersFromScript(config)) return null;
  if (inputs.peersScript === undefined) {
    diagnostics.push({
      code: 'SidecarScriptMissing',
      severity: 'error',
      path: 'network.weave.peering.enabled',
      message: `the side-car script (dist/netpack-sidecar.cjs) was not found, so ConfigMap ${PEERS_SCRIPT_CONFIGMAP} cannot be rendered`,
      hint: 'run `npm run build` in the netpack checkout, or set network.weave.peering.image to a self-built netpack image',
    });
    return null;
  }
  return {
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: PEERS_SCRIPT_CONFIGMAP, namespace: WEAVE_NAMESPACE, labels: labels() },
      data: { [PEERS_SCRIPT_KEY]: inputs.peersScript },
    },
    digest: nodeCrypto().createHash('sha256').update(inputs.peersScript, 'utf8').digest('hex'),
  };
}

/**
 * The region-aware peering side-car, only when `network.weave.peering.enabled`. By default the
 * official node image (`NODE_IMAGE`) runs netpack's side-car script from ConfigMap
 * `weave-net-peers`: `node /netpack/sidecar.cjs peers run`, nothing to build or pull of ours.
 * `peering.image` names a self-built image instead, which runs `netpack peers run`. Either way
 * it watches Nodes and posts this node's peers to the router on 127.0.0.1:6784 (the pod shares
 * the host network). It runs as a non-root user with no capabilities, except with kubelet DNAT,
 * which needs root with NET_ADMIN/NET_RAW for iptables and the xtables lock the other
 * containers share (and a self-built image: the node image has no iptables; validate says so).
 */
function peeringSidecars(config: ClusterConfig): Record<string, unknown>[] {
  const peering = config.network.weave.peering;
  if (!peering.enabled) return [];
  const fromScript = peersFromScript(config);
  const env: unknown[] = [
    // The node's name as the API knows it; HOSTNAME is the machine's, which may differ.
    { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
    // The metrics page listens on 127.0.0.1 and this address only, not on every address of the
    // host (the pod shares its network).
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
  ];
  const knownPeers = config.network.weave.known_peers;
  if (knownPeers.length > 0) env.push({ name: 'KNOWN_PEERS', value: knownPeers.join(' ') });
  if (peering.kubelet_dnat) env.push({ name: 'KUBELET_DNAT', value: 'true' });
  const probe = (periodSeconds: number) => ({
    httpGet: { host: '127.0.0.1', path: '/healthz', port: PEERS_PORT },
    initialDelaySeconds: 5,
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  const volumeMounts = [
    ...(fromScript ? [{ name: PEERS_SCRIPT_CONFIGMAP, mountPath: PEERS_SCRIPT_DIR, readOnly: true }] : []),
    ...(peering.kubelet_dnat ? [xtablesLockMount()] : []),
  ];
  return [
    {
      name: PEERS_CONTAINER,
      image: peering.image,
      imagePullPolicy: 'IfNotPresent',
      command: [
        ...(fromScript ? ['node', `${PEERS_SCRIPT_DIR}/${PEERS_SCRIPT_KEY}`] : ['netpack']),
        'peers',
        'run',
        `--listen=:${PEERS_PORT}`,
      ],
      env,
      ports: [{ name: 'peers-metrics', containerPort: PEERS_PORT, protocol: 'TCP' }],
      livenessProbe: probe(30),
      readinessProbe: probe(10),
      // A Node list of a few thousand nodes is tens of MB while it is parsed.
      resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '256Mi' } },
      securityContext: peering.kubelet_dnat
        ? {
            runAsUser: 0,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] },
          }
        : {
            runAsUser: 1000,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
      ...(volumeMounts.length > 0 ? { volumeMounts } : {}),
    },
  ];
}

function daemonSet(config: ClusterConfig, scriptDigest?: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: WEAVE_NAME, namespace: WEAVE_NAMESPACE, labels: labels() },
    spec: {
      selector: { matchLabels: labels() },
      // Wait 5 seconds to let a pod connect before rolling the next one (upstream's comment).
      minReadySeconds: 5,
      template: {
        metadata: {
          labels: labels(),
          ...(scriptDigest ? { annotations: { [PEERS_SCRIPT_DIGEST_ANNOTATION]: scriptDigest } } : {}),
        },
        spec: {
          initContainers: [initContainer(config.network.weave)],
          containers: [
            weaveContainer(config),
            npcContainer(config.network.weave),
            ...peeringSidecars(config),
          ],
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          hostPID: false,
          restartPolicy: 'Always',
          securityContext: { seLinuxOptions: {} },
          serviceAccountName: WEAVE_NAME,
          tolerations: [
            { effect: 'NoSchedule', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
          ],
          volumes: [
            { name: 'weavedb', hostPath: { path: '/var/lib/weave' } },
            { name: 'cni-bin', hostPath: { path: '/opt' } },
            { name: 'cni-bin2', hostPath: { path: '/home' } },
            { name: 'cni-conf', hostPath: { path: '/etc' } },
            { name: 'cni-machine-id', hostPath: { path: '/etc/machine-id' } },
            { name: 'dbus', hostPath: { path: '/var/lib/dbus' } },
            { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            ...(scriptDigest
              ? [
                  {
                    name: PEERS_SCRIPT_CONFIGMAP,
                    configMap: { name: PEERS_SCRIPT_CONFIGMAP, defaultMode: 0o444 },
                  },
                ]
              : []),
          ],
          priorityClassName: 'system-node-critical',
        },
      },
      updateStrategy: { type: 'RollingUpdate' },
    },
  };
}

/**
 * A headless Service over the weave-net pods so Prometheus' Kubernetes service discovery finds
 * one endpoint per node (the pods use the host network, so these are node addresses).
 */
function metricsService(name: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: WEAVE_NAMESPACE,
      labels: labels(),
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
        'prometheus.io/path': '/metrics',
      },
    },
    spec: {
      clusterIP: 'None',
      selector: labels(),
      ports: [{ name: 'metrics', protocol: 'TCP', port, targetPort: port }],
    },
  };
}
