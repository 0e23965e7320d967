/**
 * Where each kind is served: built-in kinds from render/kinds.ts without a round trip (kubectl
 * caches discovery on disk for the same reason), every other group version from the server's
 * discovery document, asked once per client and kept; CRDs that became Established are
 * remembered in place of an earlier "not served".
 */
import { builtinKind } from '../../render/kinds.ts';
import { ApiError, ClusterError } from '../errors.ts';
import { type KubeObject, type ObjectRef, type ResourceInfo, showRef } from '../types.ts';

/** A GET whose JSON the caller wants; undefined when the server answers 404. */
export type ReadJson = <T>(path: string, what: string) => Promise<T | undefined>;

interface DiscoveryDoc {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** `/api/v1` or `/apis/GROUP/VERSION`. */
export function versionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The path of a kind's collection, in `namespace` when the kind is namespaced and one is given. */
export function collectionPath(
  apiVersion: string,
  info: ResourceInfo,
  namespace: string | undefined,
): string {
  const prefix = versionPath(apiVersion);
  return info.namespaced && namespace
    ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
    : `${prefix}/${info.plural}`;
}

/** The kinds of one discovery document (subresources such as `pods/status` left out). */
function kindsOf(doc: DiscoveryDoc): Map<string, ResourceInfo> {
  const byKind = new Map<string, ResourceInfo>();
  for (const r of doc.resources ?? []) {
    if (r.name.includes('/')) continue;
    byKind.set(r.kind, { plural: r.name, namespaced: r.namespaced });
  }
  return byKind;
}

export class Discovery {
  private readonly cache = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  constructor(private readonly read: ReadJson) {}

  /** The kinds served in `apiVersion`, undefined when it is not served; a failed read is not kept. */
  private discover(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    let cached = this.cache.get(apiVersion);
    if (!cached) {
      cached = this.read<DiscoveryDoc>(versionPath(apiVersion), `discovery of ${apiVersion}`).then((doc) =>
        doc ? kindsOf(doc) : undefined,
      );
      cached.catch(() => this.cache.delete(apiVersion));
      this.cache.set(apiVersion, cached);
    }
    return cached;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return builtinKind(apiVersion, kind) ?? (await this.discover(apiVersion))?.get(kind);
  }

  /** A CRD that became Established: its kind is served where its spec says, in every served version. */
  learnCrd(crd: KubeObject): void {
    const spec = (crd.spec ?? {}) as {
      group?: string;
      scope?: string;
      names?: { kind?: string; plural?: string };
      versions?: { name: string; served?: boolean }[];
    };
    const { kind, plural } = spec.names ?? {};
    if (!spec.group || !kind || !plural) return;
    for (const v of spec.versions ?? []) {
      if (v.served === false) continue;
      const apiVersion = `${spec.group}/${v.name}`;
      const known = (this.cache.get(apiVersion) ?? Promise.resolve(undefined)).catch(() => undefined);
      this.cache.set(
        apiVersion,
        known.then((m) => new Map(m ?? []).set(kind, { plural, namespaced: spec.scope === 'Namespaced' })),
      );
    }
  }

  /** Where a kind is served, or an ApiError (404 NotFound) naming `what` when it is not. */
  async served(apiVersion: string, kind: string, what: string): Promise<ResourceInfo> {
    const info = await this.resource(apiVersion, kind);
    if (!info)
      throw new ApiError(`${what}: the server does not serve ${kind} in ${apiVersion}`, 404, 'NotFound');
    return info;
  }

  /** The path of one object. */
  async objectPath(ref: ObjectRef): Promise<string> {
    const info = await this.served(ref.apiVersion, ref.kind, showRef(ref));
    if (info.namespaced && !ref.namespace)
      throw new ClusterError(`${showRef(ref)}: ${ref.kind} is namespaced but has no namespace`);
    return `${collectionPath(ref.apiVersion, info, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }
}
