// Discovery documents (/version, /api, /apis, /api/v1, /apis/<g>/<v>) and a minimal OpenAPI v3.
//
// Why OpenAPI v3 at all: kubectl's default `--validate=strict` asks /openapi/v3 whether the server
// supports the `fieldValidation` query parameter on PATCH for the object's kind; if it does,
// kubectl skips client-side schema validation and lets the server validate. Without it kubectl
// falls back to /openapi/v2 (protobuf only) and fails unless run with `--validate=false`. So each
// group/version document lists, per resource, a PATCH operation with that parameter and the
// `x-kubernetes-group-version-kind` extension, and nothing else (no schemas).
//
// For a kind that is in no group/version yet (a custom resource whose CRD is not Established),
// kubectl falls back to /openapi/v2, which it reads as protobuf only. The fake answers with an
// empty protobuf document: kubectl then finds no schema for the kind and skips client-side
// validation, so it reports what it reports against a real server ("resource mapping not found
// ... ensure CRDs are installed first") instead of a validation error.
import { apiVersionOf, type ResourceRegistry, type ResourceType, VERBS } from './resources.ts';

/** What /openapi/v2 answers with: an empty body, which decodes as an empty protobuf document. */
export const OPENAPI_V2_PROTOBUF = 'application/octet-stream';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-netpack-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function coreVersions(address: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

function apiGroup(name: string, versions: string[]): unknown {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

function groupVersionsByGroup(registry: ResourceRegistry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { group, version } of registry.groupVersions()) {
    if (group === '') continue;
    const vs = groups.get(group) ?? [];
    if (!vs.includes(version)) vs.push(version);
    groups.set(group, vs);
  }
  return groups;
}

export function groupList(registry: ResourceRegistry): unknown {
  const groups = [...groupVersionsByGroup(registry)].map(([name, vs]) => apiGroup(name, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `/apis/<group>`, or undefined when no version of the group is served. */
export function group(registry: ResourceRegistry, name: string): unknown {
  const vs = groupVersionsByGroup(registry).get(name);
  return vs && { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(name, vs) as object) };
}

function resourcesOf(registry: ResourceRegistry, group: string, version: string): ResourceType[] {
  return registry.all().filter((rt) => rt.group === group && rt.version === version);
}

/** `APIResourceList` for one group/version, or undefined when it is not served. */
export function resourceList(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = resourcesOf(registry, group, version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((rt) => {
    const main = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: VERBS,
      ...(rt.shortNames.length > 0 ? { shortNames: rt.shortNames } : {}),
      ...(rt.categories.length > 0 ? { categories: rt.categories } : {}),
    };
    if (!rt.statusSubresource) return [main];
    const status = {
      name: `${rt.plural}/status`,
      singularName: '',
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: ['get', 'patch', 'update'],
    };
    return [main, status];
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** `/openapi/v3`: one entry per served group/version. */
export function openApiRoot(registry: ResourceRegistry): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of registry.groupVersions()) {
    const p = gvPath(group, version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=fake` };
  }
  return { paths };
}

/** `/openapi/v3/<api|apis/g>/<v>`: PATCH operations that accept `fieldValidation`. */
export function openApiGroupVersion(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = resourcesOf(registry, group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const rt of types) {
    const ns = rt.namespaced ? '/namespaces/{namespace}' : '';
    paths[`/${gvPath(group, version)}${ns}/${rt.plural}/{name}`] = {
      patch: {
        operationId: `patch${rt.kind}`,
        parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
          name,
          in: 'query',
          schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
        })),
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: rt.kind },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (netpack fake)', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}
