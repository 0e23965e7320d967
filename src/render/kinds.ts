/**
 * Built-in kinds whose resource path and scope every Kubernetes netpack supports shares: the
 * client resolves them without discovery, and custom manifests are checked against them (a
 * namespaced kind needs metadata.namespace). Any other kind, custom resources included, is
 * discovered from the cluster.
 */
export interface KindInfo {
  /** The resource name in paths, e.g. `configmaps`. */
  plural: string;
  namespaced: boolean;
}

const ns = (plural: string): KindInfo => ({ plural, namespaced: true });
const cluster = (plural: string): KindInfo => ({ plural, namespaced: false });

const BUILTIN: Record<string, Record<string, KindInfo>> = {
  v1: {
    ConfigMap: ns('configmaps'),
    Secret: ns('secrets'),
    Service: ns('services'),
    ServiceAccount: ns('serviceaccounts'),
    Pod: ns('pods'),
    Endpoints: ns('endpoints'),
    PersistentVolumeClaim: ns('persistentvolumeclaims'),
    Namespace: cluster('namespaces'),
    Node: cluster('nodes'),
    PersistentVolume: cluster('persistentvolumes'),
  },
  'apps/v1': {
    DaemonSet: ns('daemonsets'),
    Deployment: ns('deployments'),
    StatefulSet: ns('statefulsets'),
    ReplicaSet: ns('replicasets'),
  },
  'batch/v1': { Job: ns('jobs'), CronJob: ns('cronjobs') },
  'rbac.authorization.k8s.io/v1': {
    ClusterRole: cluster('clusterroles'),
    ClusterRoleBinding: cluster('clusterrolebindings'),
    Role: ns('roles'),
    RoleBinding: ns('rolebindings'),
  },
  'policy/v1': { PodDisruptionBudget: ns('poddisruptionbudgets') },
  'networking.k8s.io/v1': { NetworkPolicy: ns('networkpolicies') },
  'scheduling.k8s.io/v1': { PriorityClass: cluster('priorityclasses') },
  'apiextensions.k8s.io/v1': { CustomResourceDefinition: cluster('customresourcedefinitions') },
  'coordination.k8s.io/v1': { Lease: ns('leases') },
};

/** The path and scope of a built-in kind, or undefined for any other (ask the cluster). */
export function builtinKind(apiVersion: string, kind: string): KindInfo | undefined {
  const group = Object.hasOwn(BUILTIN, apiVersion) ? BUILTIN[apiVersion]! : undefined;
  return group && Object.hasOwn(group, kind) ? group[kind] : undefined;
}
