import type { Datastore } from '../../config/types.ts';
import type { KubeObject } from '../../render/types.ts';
import { CALICO_GROUPS, CNI_PLUGIN, KUBE_CONTROLLERS, NAMESPACE, NODE, TIER_GETTER } from './constants.ts';

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

function rule(
  apiGroups: string[],
  resources: string[],
  verbs: string[],
  resourceNames?: string[],
): PolicyRule {
  return resourceNames ? { apiGroups, resources, resourceNames, verbs } : { apiGroups, resources, verbs };
}

const CORE = [''];
const CALICO = CALICO_GROUPS;

/** kube-controllers in the kubernetes datastore: IPAM GC, node sync, LoadBalancer IPs, migrations. */
const kubeControllersKdd: PolicyRule[] = [
  // Nodes are watched to monitor for deletions.
  rule(CORE, ['nodes'], ['watch', 'list', 'get']),
  // Pods are watched to check for existence as part of the IPAM controller.
  rule(CORE, ['pods'], ['get', 'list', 'watch']),
  // Namespaces are watched for LoadBalancer IP allocation with namespace selectors.
  rule(CORE, ['namespaces'], ['get', 'list', 'watch']),
  // Services are monitored for service LoadBalancer IP allocation.
  rule(CORE, ['services', 'services/status'], ['get', 'list', 'update', 'watch']),
  // IPAM resources follow node and block updates.
  rule(CALICO, ['ipreservations'], ['list']),
  rule(
    CALICO,
    ['blockaffinities', 'ipamblocks', 'ipamhandles', 'ipamconfigurations', 'ipamconfigs', 'tiers'],
    ['get', 'list', 'create', 'update', 'delete', 'watch'],
  ),
  // Pools are watched to map blocks to pools.
  rule(CALICO, ['ippools'], ['list', 'watch']),
  // kube-controllers manages (auto) host endpoints.
  rule(CALICO, ['hostendpoints'], ['get', 'list', 'create', 'update', 'delete', 'watch']),
  rule(CALICO, ['clusterinformations'], ['get', 'list', 'create', 'update', 'watch']),
  // Its own configuration: read, create a default, update status, watch.
  rule(CALICO, ['kubecontrollersconfigurations'], ['get', 'list', 'create', 'update', 'watch']),
  rule(CALICO, ['kubecontrollersconfigurations/status'], ['get', 'update']),
  // Policy name migrator.
  rule(
    CALICO,
    ['networkpolicies', 'stagednetworkpolicies', 'globalnetworkpolicies', 'stagedglobalnetworkpolicies'],
    ['watch', 'list', 'get', 'create', 'update', 'delete'],
  ),
  // Migration controller watches calico-node (and calico-typha) rollout status.
  rule(['apps'], ['daemonsets', 'deployments'], ['get', 'list', 'watch']),
  // Migration controller: DatastoreMigration CRs, CRDs and API services during a v1→v3 migration.
  rule(
    ['migration.projectcalico.org'],
    ['datastoremigrations', 'datastoremigrations/status'],
    ['get', 'list', 'watch', 'create', 'update', 'patch'],
  ),
  rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], ['get', 'list', 'watch', 'delete']),
  rule(['apiregistration.k8s.io'], ['apiservices'], ['get', 'list', 'watch', 'create', 'delete']),
  // Migration controller reads v1 resources and writes v3 ones.
  rule(['projectcalico.org'], ['*'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
  rule(['crd.projectcalico.org'], ['*'], ['get', 'list', 'watch']),
  // KubeVirt VMs, for IPAM garbage collection of KubeVirt workloads.
  rule(['kubevirt.io'], ['virtualmachines', 'virtualmachineinstances'], ['get', 'list', 'watch']),
];

/** kube-controllers in the etcd datastore: it syncs Kubernetes policy and labels into etcd. */
const kubeControllersEtcd: PolicyRule[] = [
  // Pods (labels), nodes, namespaces and serviceaccounts (labels used by policy).
  rule(CORE, ['pods', 'nodes', 'namespaces', 'serviceaccounts'], ['watch', 'list', 'get']),
  rule(CORE, ['services', 'services/status'], ['get', 'list', 'update', 'watch']),
  rule(['networking.k8s.io'], ['networkpolicies'], ['watch', 'list']),
  rule(
    CALICO,
    ['networkpolicies', 'stagednetworkpolicies', 'globalnetworkpolicies', 'stagedglobalnetworkpolicies'],
    ['watch', 'list', 'get', 'create', 'update', 'delete'],
  ),
  rule(['apps'], ['daemonsets', 'deployments'], ['get', 'list', 'watch']),
];

/** Rules calico-node needs in both datastores. */
const nodeCommon: PolicyRule[] = [
  // Tokens for the CNI plugin's own service account.
  rule(CORE, ['serviceaccounts/token'], ['create'], [CNI_PLUGIN]),
  rule(CORE, ['pods', 'nodes', 'namespaces'], ['get']),
  // EndpointSlices enforce Service-based policy rules.
  rule(['discovery.k8s.io'], ['endpointslices'], ['watch', 'list']),
];

const nodeKdd: PolicyRule[] = [
  ...nodeCommon,
  // Service IPs for advertisement; get to discover Typhas.
  rule(CORE, ['endpoints', 'services'], ['watch', 'list', 'get']),
  // Pod CIDR auto-detection on kubeadm reads the kubeadm-config ConfigMap.
  rule(CORE, ['configmaps'], ['get']),
  // Clear NodeNetworkUnavailable; Calico keeps some state in node annotations.
  rule(CORE, ['nodes/status'], ['patch', 'update']),
  rule(['networking.k8s.io'], ['networkpolicies'], ['watch', 'list']),
  rule(['policy.networking.k8s.io'], ['clusternetworkpolicies'], ['watch', 'list']),
  rule(CORE, ['pods', 'namespaces', 'serviceaccounts'], ['list', 'watch']),
  // The CNI plugin patches pods/status.
  rule(CORE, ['pods/status'], ['patch']),
  // Calico's own configuration and policy.
  rule(
    CALICO,
    [
      'globalfelixconfigs',
      'globalbgpconfigs',
      'felixconfigurations',
      'bgppeers',
      'bgpfilters',
      'bgpconfigurations',
      'ippools',
      'ipreservations',
      'ipamblocks',
      'globalnetworkpolicies',
      'stagedglobalnetworkpolicies',
      'networkpolicies',
      'stagednetworkpolicies',
      'stagedkubernetesnetworkpolicies',
      'globalnetworksets',
      'networksets',
      'clusterinformations',
      'hostendpoints',
      'blockaffinities',
      'caliconodestatuses',
      'tiers',
    ],
    ['get', 'list', 'watch'],
  ),
  // Default tiers are created on startup.
  rule(CALICO, ['tiers'], ['create']),
  // The default pool, Felix and BGP configuration and cluster information are created on startup.
  rule(
    CALICO,
    ['ippools', 'felixconfigurations', 'bgpconfigurations', 'clusterinformations'],
    ['create', 'update'],
  ),
  rule(CALICO, ['caliconodestatuses'], ['update']),
  rule(CORE, ['nodes'], ['get', 'list', 'watch']),
  // Upgrades from v2.6 only (upstream keeps them).
  rule(CALICO, ['bgpconfigurations', 'bgppeers'], ['create', 'update']),
  // Calico IPAM in the CNI plugin.
  rule(
    CALICO,
    ['blockaffinities', 'ipamblocks', 'ipamhandles'],
    ['get', 'list', 'create', 'update', 'delete'],
  ),
  rule(CALICO, ['ipamconfigurations', 'ipamconfigs'], ['get', 'create']),
  // confd aggregates routes per block affinity.
  rule(CALICO, ['blockaffinities'], ['watch']),
  // The host-local → calico-ipam upgrade (init container upgrade-ipam) reads daemonsets.
  rule(['apps'], ['daemonsets'], ['get']),
  // KubeVirt live migration.
  rule(['kubevirt.io'], ['virtualmachineinstancemigrations'], ['get', 'list', 'watch']),
];

const nodeEtcd: PolicyRule[] = [
  ...nodeCommon,
  rule(CORE, ['endpoints', 'services'], ['watch', 'list']),
  rule(CORE, ['configmaps'], ['get']),
  rule(CORE, ['nodes/status'], ['patch']),
];

const cniPluginKdd: PolicyRule[] = [
  rule(CORE, ['pods', 'nodes', 'namespaces'], ['get']),
  rule(CORE, ['pods/status'], ['patch']),
  rule(
    CALICO,
    [
      'blockaffinities',
      'ipamblocks',
      'ipamhandles',
      'clusterinformations',
      'ippools',
      'ipreservations',
      'ipamconfigurations',
      'ipamconfigs',
    ],
    ['get', 'list', 'create', 'update', 'delete'],
  ),
  rule(['kubevirt.io'], ['virtualmachineinstances', 'virtualmachines'], ['get']),
];

const cniPluginEtcd: PolicyRule[] = [rule(CORE, ['pods', 'nodes', 'namespaces'], ['get'])];

/** kube-controller-manager's garbage collector reads Tiers of tiered policies. */
const tierGetter: PolicyRule[] = [rule(['projectcalico.org'], ['tiers'], ['get'])];

function serviceAccount(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NAMESPACE } };
}

function clusterRole(name: string, rules: PolicyRule[]): KubeObject {
  return {
    kind: 'ClusterRole',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name },
    rules: structuredClone(rules),
  };
}

function binding(name: string, subject: Record<string, string>): KubeObject {
  return {
    kind: 'ClusterRoleBinding',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [subject],
  };
}

function saSubject(name: string): Record<string, string> {
  return { kind: 'ServiceAccount', name, namespace: NAMESPACE };
}

/** ServiceAccounts of kube-controllers, calico-node and the CNI plugin, in upstream's order. */
export function calicoServiceAccounts(): KubeObject[] {
  return [serviceAccount(KUBE_CONTROLLERS), serviceAccount(NODE), serviceAccount(CNI_PLUGIN)];
}

/** ClusterRoles then ClusterRoleBindings, as upstream lists them. Upstream has no (namespaced) Roles. */
export function calicoRbac(datastore: Datastore): KubeObject[] {
  const kdd = datastore === 'kubernetes';
  return [
    clusterRole(KUBE_CONTROLLERS, kdd ? kubeControllersKdd : kubeControllersEtcd),
    clusterRole(NODE, kdd ? nodeKdd : nodeEtcd),
    clusterRole(CNI_PLUGIN, kdd ? cniPluginKdd : cniPluginEtcd),
    clusterRole(TIER_GETTER, tierGetter),
    binding(KUBE_CONTROLLERS, saSubject(KUBE_CONTROLLERS)),
    binding(NODE, saSubject(NODE)),
    binding(CNI_PLUGIN, saSubject(CNI_PLUGIN)),
    binding(TIER_GETTER, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'User',
      name: 'system:kube-controller-manager',
    }),
  ];
}
