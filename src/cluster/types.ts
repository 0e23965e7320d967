/**
 * Shapes shared by the cluster modules: object identities and the client interface that the
 * shell (apply, wait, diff, status, delete) talks through. Tests fake nothing: they run the real
 * client against test/fake-apiserver; the interface keeps the pure modules free of I/O.
 */
import type { KubeObject } from '../render/types.ts';

export type { KubeObject };

/** The identity of an object: enough to find it in the API. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Where a kind is served, from discovery. */
export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Only each object's metadata (`PartialObjectMetadataList`, which every kube-apiserver serves
   * for every resource): names and labels of a kind whose objects are large (CRDs, Secrets).
   * A server that cannot answers with the full list, which reads the same.
   */
  metadataOnly?: boolean;
}

export interface WatchOptions extends ListOptions {
  /** Start after this resourceVersion (events after it are replayed). */
  resourceVersion?: string;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/**
 * How a watch ended: `closed` (the server or the network ended it; re-watch from the last
 * resourceVersion), `expired` (410: that resourceVersion is too old; list again), `aborted`.
 */
export type WatchEnd = 'closed' | 'expired' | 'aborted';

export interface WriteOptions {
  /** `dryRun=All`: the server validates and answers, stores nothing. */
  dryRun: boolean;
}

export interface ApplyOptions extends WriteOptions {
  /** Take over fields that another field manager owns (SSA `force=true`). */
  force: boolean;
}

/** Counters a run reports (and tests and the bench read). */
export interface ClientStats {
  requests: number;
  /** Write requests sent (apply, create, delete), dry runs included. */
  writes: number;
  retries: number;
}

/**
 * The Kubernetes API as netpack uses it. Every call retries transient failures (429, 5xx,
 * connection resets) itself; what it throws is final.
 */
export interface ClusterClient {
  /** Discovery: how `kind` of `apiVersion` is served, or undefined when it is not (yet). Cached per client. */
  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /**
   * A CRD that became Established: its kind is served where the CRD says (group, versions,
   * plural, scope). Remembered in place of discovery, which may have answered "not served".
   */
  learnCrd(crd: KubeObject): void;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** The API server's `/version` document (what `kubectl version` shows as Server Version). */
  serverVersion(): Promise<ServerVersion>;
  /** Every page (follows `continue`); empty when the kind is not served. Items get apiVersion/kind. */
  list(
    apiVersion: string,
    kind: string,
    opts?: ListOptions,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  watch(
    apiVersion: string,
    kind: string,
    opts: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<WatchEnd>;
  /**
   * Server-side apply with field manager `netpack`. The server's answer (the whole object, with
   * managedFields) is not read back: nothing needs it, and for a CRD it is tens of KB to parse.
   */
  apply(obj: KubeObject, opts: ApplyOptions): Promise<void>;
  /** Create; `exists` when an object of that name is already there. */
  create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject | 'exists'>;
  /**
   * PUT the whole object; its metadata.resourceVersion makes it conditional: `conflict` when the
   * object changed since it was read (the caller reads again and decides).
   */
  replace(obj: KubeObject): Promise<KubeObject | 'conflict'>;
  /** JSON patch (RFC 6902); `conflict` when a `test` operation (e.g. of the resourceVersion) failed. */
  patchJson(ref: ObjectRef, ops: readonly JsonPatchOp[]): Promise<KubeObject | 'conflict'>;
  /** Delete; `absent` when it was already gone. */
  delete(ref: ObjectRef, opts: WriteOptions): Promise<'deleted' | 'absent'>;
  /**
   * One GET of a raw path (a pod, Service or node proxy: `netpack check` asks its probes this
   * way, status reads kubelets' configz), no retries, no byte for `timeoutMs` gives it up. Status 0 with the error as body when no answer came.
   */
  proxyGet(path: string, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; body: string }>;
  readonly stats: ClientStats;
  close(): void;
}

/** The fields of `/version` netpack shows; the server sends a few more (build date, compiler). */
export interface ServerVersion {
  major?: string;
  minor?: string;
  gitVersion: string;
  platform?: string;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

/** netpack's field manager name, in managedFields. */
export const FIELD_MANAGER = 'netpack';

// The cluster error family lives in errors.ts; re-exported here, where the shell has always found it.
export { ApiError, ClusterError, type ClusterErrorCode } from './errors.ts';

export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** A version-free key: one object served under two versions is one object. */
export function refKey(ref: ObjectRef | KubeObject): string {
  const r = 'metadata' in ref ? { ...ref.metadata, apiVersion: ref.apiVersion, kind: ref.kind } : ref;
  return `${apiGroupOf(r.apiVersion)}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

export function toRef(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** `Kind.group/namespace/name`, the way people name objects. */
export function showRef(ref: ObjectRef | KubeObject): string {
  const r = 'metadata' in ref ? toRef(ref) : ref;
  const group = apiGroupOf(r.apiVersion);
  const kind = group ? `${r.kind}.${group}` : r.kind;
  return r.namespace ? `${kind}/${r.namespace}/${r.name}` : `${kind}/${r.name}`;
}
