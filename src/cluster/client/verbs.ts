/**
 * The verbs netpack uses, on the transport and discovery: get, list (every page), server-side
 * apply of the exact bytes with strict field validation, create, guarded replace and JSON patch,
 * delete, watch. Which answers are results (404 absent, 409 exists or conflict) is decided here;
 * every other failure the transport has already thrown.
 */
import { ApiError } from '../errors.ts';
import {
  type ApplyOptions,
  FIELD_MANAGER,
  type JsonPatchOp,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type ServerVersion,
  showRef,
  toRef,
  type WatchEnd,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from '../types.ts';
import { collectionPath, type Discovery } from './discovery.ts';
import { statusOf, type Transport } from './transport.ts';
import { openWatch, WatchLines } from './watch.ts';

/** Page size of lists (kubectl's --chunk-size); the loop follows `continue` until the server says done. */
export const PAGE_SIZE = 500;

/**
 * Accept of a metadata-only list: the `PartialObjectMetadataList` of meta.k8s.io/v1 as JSON, else
 * the ordinary list (a server or aggregated API that cannot convert answers with that).
 */
export const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** `?a=b&…` of the parameters that have a value. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

interface ListPage {
  items?: KubeObject[];
  metadata?: { continue?: string; resourceVersion?: string };
}

export class Verbs {
  constructor(
    private readonly transport: Transport,
    private readonly discovery: Discovery,
  ) {}

  async serverVersion(): Promise<ServerVersion> {
    const a = await this.transport.call({ method: 'GET', path: '/version', what: 'get the server version' });
    if (a.status >= 400) throw new ApiError(`get the server version: ${a.status}`, a.status, 'Unknown');
    return this.transport.parse<ServerVersion>(a, 'get the server version');
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.transport.readJson<KubeObject>(await this.discovery.objectPath(ref), `get ${showRef(ref)}`);
  }

  async list(
    apiVersion: string,
    kind: string,
    o: ListOptions = {},
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const info = await this.discovery.resource(apiVersion, kind);
    if (!info) return { items: [], resourceVersion: '' };
    const path = collectionPath(apiVersion, info, o.namespace);
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const q = query({
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
        limit: String(PAGE_SIZE),
        continue: cont,
      });
      const accept = o.metadataOnly ? METADATA_LIST_ACCEPT : undefined;
      const doc = await this.transport.readJson<ListPage>(path + q, `list ${kind}`, accept);
      if (!doc) return { items: [], resourceVersion: '' };
      // Built-in list items come without apiVersion/kind, metadata-only ones as
      // PartialObjectMetadata: each is named as the kind it is.
      for (const item of doc.items ?? []) items.push({ ...item, apiVersion, kind });
      cont = doc.metadata?.continue || undefined;
      resourceVersion = doc.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  async watch(
    apiVersion: string,
    kind: string,
    o: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<WatchEnd> {
    const info = await this.discovery.served(apiVersion, kind, `watch ${kind}`);
    const q = query({
      watch: 'true',
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: o.timeoutSeconds === undefined ? undefined : String(o.timeoutSeconds),
    });
    const path = collectionPath(apiVersion, info, o.namespace) + q;
    return openWatch(this.transport.connection, path, new WatchLines(apiVersion, kind), onEvent, signal);
  }

  async apply(obj: KubeObject, o: ApplyOptions): Promise<void> {
    const q = query({
      fieldManager: FIELD_MANAGER,
      // A field the server does not know (a typo in a custom manifest, a field newer than the
      // cluster) fails the write instead of being dropped without a word, as with kubectl.
      fieldValidation: 'Strict',
      force: o.force ? 'true' : undefined,
      dryRun: o.dryRun ? 'All' : undefined,
    });
    this.transport.stats.writes++;
    const secret = obj.kind === 'Secret';
    const what = `apply ${showRef(obj)}`;
    const path = (await this.discovery.objectPath(toRef(obj))) + q;
    const a = await this.transport.call({
      method: 'PATCH',
      path,
      what,
      body: JSON.stringify(obj),
      contentType: 'application/apply-patch+yaml',
      secret,
    });
    if (a.status >= 400) throw statusError(what, a, secret);
  }

  async create(obj: KubeObject, o: WriteOptions): Promise<KubeObject | 'exists'> {
    const what = `create ${showRef(obj)}`;
    const info = await this.discovery.resource(obj.apiVersion, obj.kind);
    if (!info) throw new ApiError(`${what}: ${obj.kind} is not served`, 404, 'NotFound');
    const q = query({
      fieldManager: FIELD_MANAGER,
      fieldValidation: 'Strict',
      dryRun: o.dryRun ? 'All' : undefined,
    });
    this.transport.stats.writes++;
    const secret = obj.kind === 'Secret';
    const path = collectionPath(obj.apiVersion, info, obj.metadata.namespace) + q;
    const body = JSON.stringify(obj);
    const a = await this.transport.call({
      method: 'POST',
      path,
      what,
      body,
      contentType: 'application/json',
      secret,
    });
    if (a.status === 409) return 'exists';
    if (a.status >= 400) throw statusError(what, a, secret);
    return this.transport.parse<KubeObject>(a, what);
  }

  replace(obj: KubeObject): Promise<KubeObject | 'conflict'> {
    return this.guardedWrite(
      'PUT',
      toRef(obj),
      JSON.stringify(obj),
      'application/json',
      `replace ${showRef(obj)}`,
    );
  }

  patchJson(ref: ObjectRef, ops: readonly JsonPatchOp[]): Promise<KubeObject | 'conflict'> {
    const body = JSON.stringify(ops);
    return this.guardedWrite('PATCH', ref, body, 'application/json-patch+json', `patch ${showRef(ref)}`);
  }

  /** A write guarded by resourceVersion: 'conflict' when the object changed (409) since it was read. */
  private async guardedWrite(
    method: string,
    ref: ObjectRef,
    body: string,
    contentType: string,
    what: string,
  ): Promise<KubeObject | 'conflict'> {
    this.transport.stats.writes++;
    const path = (await this.discovery.objectPath(ref)) + query({ fieldManager: FIELD_MANAGER });
    let a: Awaited<ReturnType<Transport['call']>>;
    try {
      a = await this.transport.call({ method, path, what, body, contentType, secret: ref.kind === 'Secret' });
    } catch (e) {
      // A failed JSON-patch `test` (the resourceVersion moved) is a 422 Invalid.
      if (e instanceof ApiError && e.status === 422 && contentType.includes('json-patch')) return 'conflict';
      throw e;
    }
    if (a.status === 409) return 'conflict';
    if (a.status === 404) throw new ApiError(`${what}: 404 not found`, 404, 'NotFound');
    return this.transport.parse<KubeObject>(a, what);
  }

  async delete(ref: ObjectRef, o: WriteOptions): Promise<'deleted' | 'absent'> {
    const q = query({ dryRun: o.dryRun ? 'All' : undefined, propagationPolicy: 'Background' });
    this.transport.stats.writes++;
    const what = `delete ${showRef(ref)}`;
    const a = await this.transport.call({
      method: 'DELETE',
      path: (await this.discovery.objectPath(ref)) + q,
      what,
    });
    if (a.status === 404) return 'absent';
    if (a.status >= 400) throw statusError(what, a, false);
    return 'deleted';
  }
}

/**
 * A failure answer the transport handed on (a 409 that is not the verb's result: apply's
 * conflict with another field manager): its Status message, for a Secret only its reason.
 */
function statusError(what: string, a: { status: number; body: string }, secret: boolean): ApiError {
  const s = statusOf(a.body);
  return new ApiError(
    `${what}: ${a.status} ${secret ? (s.reason ?? '') : (s.message ?? '')}`.trim(),
    a.status,
    s.reason,
  );
}
