import type { Diagnostic } from '../config/diagnostics.ts';
import type { KubeObject } from './types.ts';

/**
 * API groups served by the Kubernetes API server itself. An object of any other group is a
 * custom resource and can be applied only once its CRD is established.
 */
const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'extensions',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Built-in kinds that live outside namespaces (the rest are namespaced). */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

/**
 * Apply order by kind: definitions and identities before what refers to them, configuration
 * before the workloads that mount it, workloads after the custom resources they read (Calico's
 * IPPool must exist before calico-node starts), and disruption budgets after their pods' owners.
 */
const KIND_RANK: Readonly<Record<string, number>> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  ServiceAccount: 2,
  ClusterRole: 3,
  ClusterRoleBinding: 4,
  Role: 5,
  RoleBinding: 6,
  ConfigMap: 7,
  Secret: 8,
  Service: 9,
  DaemonSet: 13,
  Deployment: 14,
  PodDisruptionBudget: 15,
};
const RANK_OTHER_CLUSTER_SCOPED = 10;
const RANK_OTHER_NAMESPACED = 11;
const RANK_CUSTOM_RESOURCE = 12;

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function isCustomResource(obj: Pick<KubeObject, 'apiVersion'>): boolean {
  return !BUILT_IN_GROUPS.has(apiGroup(obj.apiVersion));
}

/**
 * Where an object goes when objects are removed (prune, delete); lower goes first: the reverse
 * of the apply order's tiers. Namespaced objects first (their namespace may go too), then
 * cluster-scoped ones, CustomResourceDefinitions last (their custom resources go with them).
 */
export function deleteRank(ref: { kind: string; namespace?: string | undefined }): 0 | 1 | 2 {
  if (ref.kind === 'CustomResourceDefinition') return 2;
  return ref.namespace ? 0 : 1;
}

/** Where the object goes in the apply order; lower goes first. */
export function applyRank(obj: KubeObject): number {
  if (isCustomResource(obj)) return RANK_CUSTOM_RESOURCE;
  if (Object.hasOwn(KIND_RANK, obj.kind)) return KIND_RANK[obj.kind]!;
  return CLUSTER_SCOPED_KINDS.has(obj.kind) ? RANK_OTHER_CLUSTER_SCOPED : RANK_OTHER_NAMESPACED;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The objects in a safe apply order (see `KIND_RANK`), and within a rank by kind, API group,
 * namespace and name. Code-point comparison, not locale, so the order is the same everywhere.
 */
export function sortForApply(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort(
    (a, b) =>
      applyRank(a) - applyRank(b) ||
      compareText(a.kind, b.kind) ||
      compareText(apiGroup(a.apiVersion), apiGroup(b.apiVersion)) ||
      compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
      compareText(a.metadata.name, b.metadata.name),
  );
}

/** `kind/namespace/name` (or `kind/name` when cluster-scoped), the way people name objects. */
export function objectRef(obj: KubeObject): string {
  const group = apiGroup(obj.apiVersion);
  const kind = group ? `${obj.kind}.${group}` : obj.kind;
  return obj.metadata.namespace
    ? `${kind}/${obj.metadata.namespace}/${obj.metadata.name}`
    : `${kind}/${obj.metadata.name}`;
}

/**
 * An error for each object that has the same group, kind, namespace and name as an earlier
 * one: applying both would make the second silently overwrite the first.
 */
export function findDuplicates(objects: readonly KubeObject[]): Diagnostic[] {
  const seen = new Map<string, number>();
  const diagnostics: Diagnostic[] = [];
  objects.forEach((obj, index) => {
    const ref = objectRef(obj);
    const first = seen.get(ref);
    if (first === undefined) {
      seen.set(ref, index);
      return;
    }
    diagnostics.push({
      code: 'DuplicateObject',
      severity: 'error',
      path: ref,
      message: `rendered twice (objects #${first + 1} and #${index + 1}); the second would overwrite the first`,
      hint: 'remove one of them, or give them different names or namespaces',
    });
  });
  return diagnostics;
}
