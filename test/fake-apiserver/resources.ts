// The resource types the fake serves: the built-in kinds netpack touches, plus whatever
// CustomResourceDefinitions add once they are Established.

/** Any Kubernetes object as the fake stores it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** One resource type, as discovery describes it. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural resource name used in URLs, e.g. `daemonsets`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Whether `/status` is a separate subresource (writes to the main resource then keep status). */
  statusSubresource: boolean;
  /** Built-in kinds omit apiVersion/kind on list items, custom resources keep them. */
  builtin: boolean;
}

export const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** `daemonsets.apps`, `configmaps`: the name real error messages use. */
export function qualifiedName(rt: ResourceType): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`;
}

function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames: string[] = [],
  statusSubresource = false,
): ResourceType {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames,
    categories: [],
    statusSubresource,
    builtin: true,
  };
}

const BUILTINS: ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, ['ns'], true),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'Service', 'services', true, ['svc'], true),
  builtin('', 'v1', 'Pod', 'pods', true, ['po'], true),
  builtin('', 'v1', 'Node', 'nodes', false, ['no'], true),
  builtin('', 'v1', 'Endpoints', 'endpoints', true, ['ep']),
  builtin('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], true),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], true),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb'], true),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  builtin(
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    ['crd', 'crds'],
    true,
  ),
];

interface CrdVersion {
  name: string;
  served?: boolean;
  subresources?: { status?: unknown };
}
interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[] };
  versions: CrdVersion[];
}

/** The resource types one CRD defines: one per served version. */
export function resourceTypesOfCrd(crd: KubeObject): ResourceType[] {
  const spec = crd.spec as CrdSpec;
  const names = spec.names;
  const categories = (spec.names as { categories?: string[] }).categories ?? [];
  return spec.versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories,
      statusSubresource: v.subresources?.status !== undefined,
      builtin: false,
    }));
}

/** Built-in types plus those of Established CRDs. */
export class ResourceRegistry {
  private readonly crdTypes = new Map<string, ResourceType[]>();

  /** Makes the CRD's resources discoverable and servable (done when it becomes Established). */
  addCrd(crd: KubeObject): void {
    this.crdTypes.set(crd.metadata.name!, resourceTypesOfCrd(crd));
  }

  removeCrd(name: string): void {
    this.crdTypes.delete(name);
  }

  all(): ResourceType[] {
    return [...BUILTINS, ...[...this.crdTypes.values()].flat()];
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((rt) => rt.group === group && rt.version === version && rt.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return this.all().find((rt) => rt.group === group && rt.version === version && rt.kind === kind);
  }

  /** The first type with this kind in any group (for test helpers that only know the kind). */
  byKindAnyGroup(kind: string): ResourceType | undefined {
    return this.all().find((rt) => rt.kind === kind);
  }

  /** Group/version pairs in a stable order: core first, then groups by name. */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const rt of this.all()) seen.set(apiVersionOf(rt), { group: rt.group, version: rt.version });
    return [...seen.values()];
  }
}
