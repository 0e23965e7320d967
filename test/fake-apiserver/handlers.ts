// Routing and the write verbs: create (POST), replace (PUT), patch (apply, merge, strategic merge
// treated as merge, JSON patch), delete, each with dryRun=All and the status subresource.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import * as discovery from './discovery.ts';
import type { Faults, Verb } from './faults.ts';
import { deepEqual, jsonPatch, mergePatch, serverSideApply, trackUpdate, type WriteScope } from './fields.ts';
import { ApiError, type RequestRecord, sendJson } from './http.ts';
import { list, listShape, METADATA_LIST_TYPE, watch } from './list-watch.ts';
import { apiVersionOf, type KubeObject, qualifiedName, type ResourceType } from './resources.ts';
import { clone, type Store } from './store.ts';

export type Route =
  | { type: 'doc'; body: unknown }
  | { type: 'raw'; contentType: string; body: string }
  | { type: 'resource'; rt: ResourceType; namespace?: string; name?: string; subresource?: string }
  /** `/api/v1/nodes/NAME/proxy/PATH`: the API server passes the request on to the node's kubelet. */
  | { type: 'nodeProxy'; node: string; path: string }
  | { type: 'notFound' };

export interface HandlerContext {
  store: Store;
  faults: Faults;
  /** Deletes an object; CRDs (and namespaces) have their own deletion behaviour. */
  deleteObject(rt: ResourceType, obj: KubeObject): KubeObject;
  requireNamespaces: boolean;
  bookmarkIntervalMs?: number;
  address: string;
  /** Fields of `obj` its kind does not declare, checked for writes with fieldValidation=Strict. */
  unknownFields?: (obj: KubeObject) => string[];
  /** The next free ClusterIP for a Service created without one; undefined: none is given. */
  allocateClusterIp?: () => string | undefined;
}

/** fieldValidation=Strict: a field the kind does not declare refuses the write (400), as on real servers. */
function checkStrict(ctx: HandlerContext, query: Record<string, string>, obj: KubeObject): void {
  if (query.fieldValidation !== 'Strict' || !ctx.unknownFields) return;
  const unknown = ctx.unknownFields(obj);
  if (unknown.length > 0)
    throw new ApiError(
      400,
      unknown.map((f) => `${f}: field not declared in schema`).join(', '),
      'BadRequest',
    );
}

/** Maps a URL path to a discovery document or a resource reference. */
export function parseRoute(path: string, store: Store, address: string): Route {
  const reg = store.registry;
  const segs = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  const doc = (body: unknown): Route => (body === undefined ? { type: 'notFound' } : { type: 'doc', body });
  if (path === '/version' || path === '/version/') return doc(discovery.SERVER_VERSION);
  if (path === '/openapi/v2') {
    return { type: 'raw', contentType: discovery.OPENAPI_V2_PROTOBUF, body: '' };
  }
  if (segs[0] === 'openapi' && segs[1] === 'v3') {
    if (segs.length === 2) return doc(discovery.openApiRoot(reg));
    if (segs[2] === 'api' && segs.length === 4) return doc(discovery.openApiGroupVersion(reg, '', segs[3]!));
    if (segs[2] === 'apis' && segs.length === 5) {
      return doc(discovery.openApiGroupVersion(reg, segs[3]!, segs[4]!));
    }
    return { type: 'notFound' };
  }
  if (segs[0] === 'api' && segs[1] === 'v1' && segs[2] === 'nodes' && segs[3] && segs[4] === 'proxy')
    return { type: 'nodeProxy', node: segs[3], path: `/${segs.slice(5).join('/')}` };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return doc(discovery.coreVersions(address));
    [group, version, rest] = ['', segs[1]!, segs.slice(2)];
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return doc(discovery.groupList(reg));
    if (segs.length === 2) return doc(discovery.group(reg, segs[1]!));
    [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
  } else return { type: 'notFound' };
  if (rest.length === 0) return doc(discovery.resourceList(reg, group, version));
  let namespace: string | undefined;
  const namespaceSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const rt = reg.byPath(group, version, rest[0]!);
  if (!rt || rest.length > 3 || (namespace !== undefined && !rt.namespaced)) return { type: 'notFound' };
  return { type: 'resource', rt, namespace, name: rest[1], subresource: rest[2] };
}

/** The verb a request means, for fault rules and the request log. */
export function classify(
  method: string,
  route: Route,
  query: Record<string, string>,
  contentType: string,
): Verb {
  if (route.type === 'nodeProxy') return 'get';
  if (route.type !== 'resource') return 'discovery';
  switch (method) {
    case 'GET':
      if (route.name !== undefined) return 'get';
      return query.watch === 'true' || query.watch === '1' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return contentType.startsWith('application/apply-patch') ? 'apply' : 'patch';
    default:
      return 'delete';
  }
}

function notFound(rt: ResourceType, name: string): ApiError {
  return new ApiError(404, `${qualifiedName(rt)} "${name}" not found`, 'NotFound', {
    name,
    group: rt.group,
    kind: rt.plural,
  });
}

function parseBody(text: string, contentType: string): unknown {
  try {
    if (contentType.includes('yaml')) return parseYaml(text);
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `error decoding request body: ${(e as Error).message}`);
  }
}

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Puts URL identity into the body and checks what real servers check. */
function checkIdentity(
  rt: ResourceType,
  route: { namespace?: string; name?: string },
  body: unknown,
): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a Kubernetes object');
  }
  const obj = body as KubeObject;
  obj.metadata = obj.metadata ?? {};
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw new ApiError(400, `the kind of the object (${obj.kind}) does not match the URL (${rt.kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(rt)) {
    throw new ApiError(400, `the API version in the data (${obj.apiVersion}) does not match the URL`);
  }
  obj.apiVersion = apiVersionOf(rt);
  obj.kind = rt.kind;
  const meta = obj.metadata;
  if (route.name !== undefined) {
    if (meta.name !== undefined && meta.name !== route.name) {
      throw new ApiError(
        400,
        `the name of the object (${meta.name}) does not match the name on the URL (${route.name})`,
      );
    }
    meta.name = route.name;
  }
  if (rt.namespaced) {
    if (meta.namespace !== undefined && route.namespace !== undefined && meta.namespace !== route.namespace) {
      throw new ApiError(
        400,
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta.namespace = route.namespace ?? meta.namespace;
  } else delete meta.namespace;
  return obj;
}

function validateName(rt: ResourceType, obj: KubeObject): void {
  const name = obj.metadata.name;
  const fail = (msg: string) =>
    new ApiError(422, `${rt.kind} "${name ?? ''}" is invalid: ${msg}`, 'Invalid', { name, kind: rt.kind });
  if (!name) throw fail('metadata.name: Required value: name or generateName is required');
  if (name.length > 253 || !NAME_RE.test(name)) {
    throw fail(
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
    );
  }
}

interface WriteRequest {
  ctx: HandlerContext;
  rt: ResourceType;
  namespace?: string;
  name?: string;
  scope: WriteScope;
  manager: string;
  dryRun: boolean;
  now: string;
}

/** Server-owned metadata, status-subresource rules and generation; then commit unless dry run or no-op. */
function finish(
  w: WriteRequest,
  prev: KubeObject | undefined,
  next: KubeObject,
): { obj: KubeObject; created: boolean } {
  const { store } = w.ctx;
  const meta = next.metadata;
  if (w.scope.statusSubresource && w.scope.subresource !== 'status') {
    if (prev?.status !== undefined) next.status = clone(prev.status);
    else delete next.status;
  }
  meta.uid = prev?.metadata.uid ?? store.nextUid();
  meta.creationTimestamp = prev?.metadata.creationTimestamp ?? w.now;
  if (prev?.metadata.deletionTimestamp) meta.deletionTimestamp = prev.metadata.deletionTimestamp;
  if (prev) meta.resourceVersion = prev.metadata.resourceVersion;
  else delete meta.resourceVersion;
  const specOf = (o: KubeObject) => {
    const { metadata: _m, status, ...rest } = o;
    return w.scope.statusSubresource ? rest : { ...rest, status };
  };
  meta.generation = prev
    ? (prev.metadata.generation ?? 1) + (deepEqual(specOf(prev), specOf(next)) ? 0 : 1)
    : 1;
  validateName(w.rt, next);
  if (!prev && w.rt.namespaced && w.ctx.requireNamespaces) {
    const nsType = store.registry.byKind('v1', 'Namespace')!;
    if (!store.get(nsType, undefined, meta.namespace!)) {
      throw new ApiError(404, `namespaces "${meta.namespace}" not found`, 'NotFound', {
        name: meta.namespace,
        kind: 'namespaces',
      });
    }
  }
  if (prev && deepEqual(prev, next)) return { obj: prev, created: false };
  if (w.dryRun) return { obj: next, created: !prev };
  return { obj: store.commit(w.rt, next), created: !prev };
}

/**
 * A write that sets metadata.managedFields itself (kubectl's csaupgrade, netpack's adoption) is
 * taken at its word, as real servers do: ownership starts from the sent entries, not the stored
 * ones. A write that leaves them out (or sends them unchanged) keeps the stored ones.
 */
function ownersAsSent(prev: KubeObject, next: KubeObject): KubeObject {
  const sent = next.metadata.managedFields;
  if (!Array.isArray(sent) || deepEqual(sent, prev.metadata.managedFields)) return prev;
  return { ...prev, metadata: { ...prev.metadata, managedFields: clone(sent) } };
}

function defaultManager(req: IncomingMessage): string {
  const ua = req.headers['user-agent'] ?? '';
  return ua.split('/')[0]?.trim() || 'unknown';
}

/** Handles one request against a resource route. */
export async function handleResource(
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { type: 'resource' }>,
  query: Record<string, string>,
  bodyText: string,
  record: RequestRecord,
  ctx: HandlerContext,
): Promise<void> {
  const { rt, namespace, name, subresource } = route;
  const { store } = ctx;
  if (subresource !== undefined && subresource !== 'status') {
    throw new ApiError(404, 'the server could not find the requested resource');
  }
  if (subresource === 'status' && !rt.statusSubresource) {
    throw new ApiError(404, 'the server could not find the requested resource');
  }
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  const verb = classify(req.method ?? 'GET', route, query, contentType);
  const scope: WriteScope = {
    subresource: subresource as 'status' | undefined,
    statusSubresource: rt.statusSubresource,
  };
  const w: WriteRequest = {
    ctx,
    rt,
    namespace,
    name,
    scope,
    manager: query.fieldManager || defaultManager(req),
    dryRun: query.dryRun === 'All',
    now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  if (query.dryRun !== undefined && query.dryRun !== 'All') {
    throw new ApiError(400, `dryRun: Unsupported value: "${query.dryRun}": supported values: "All"`);
  }
  const current = () => {
    const obj = store.get(rt, namespace, name!);
    if (!obj) throw notFound(rt, name!);
    return obj;
  };

  switch (verb) {
    case 'get':
      return sendJson(res, 200, current(), record);
    case 'list': {
      const shape = listShape(req.headers.accept);
      const headers: Record<string, string> =
        shape === 'metadata' ? { 'Content-Type': METADATA_LIST_TYPE } : {};
      return sendJson(res, 200, list(store, { rt, namespace }, query, shape), record, headers);
    }
    case 'watch':
      return watch(req, res, store, { rt, namespace }, query, record, {
        faults: ctx.faults,
        bookmarkIntervalMs: ctx.bookmarkIntervalMs,
      });
    case 'create': {
      if (name !== undefined)
        throw new ApiError(405, 'the server does not allow this method on the requested resource');
      const obj = checkIdentity(rt, { namespace }, parseBody(bodyText, contentType));
      checkStrict(ctx, query, obj);
      if (!obj.metadata.name && obj.metadata.generateName) {
        obj.metadata.name = `${obj.metadata.generateName}${store.nextUid().slice(-5)}`;
      }
      if (obj.metadata.name && store.get(rt, obj.metadata.namespace, obj.metadata.name)) {
        throw new ApiError(
          409,
          `${qualifiedName(rt)} "${obj.metadata.name}" already exists`,
          'AlreadyExists',
          {
            name: obj.metadata.name,
            group: rt.group,
            kind: rt.plural,
          },
        );
      }
      const spec = obj.spec as { type?: string; clusterIP?: string } | undefined;
      if (rt.kind === 'Service' && spec && spec.type !== 'ExternalName' && !spec.clusterIP && !w.dryRun) {
        const ip = ctx.allocateClusterIp?.();
        if (ip) spec.clusterIP = ip;
      }
      obj.metadata.managedFields = trackUpdate(undefined, obj, w.manager, scope, w.now);
      return sendJson(res, 201, finish(w, undefined, obj).obj, record);
    }
    case 'update': {
      const prev = current();
      const body = checkIdentity(rt, { namespace, name }, parseBody(bodyText, contentType));
      const sentRv = body.metadata.resourceVersion;
      if (sentRv !== undefined && sentRv !== '' && sentRv !== prev.metadata.resourceVersion) {
        throw new ApiError(
          409,
          `Operation cannot be fulfilled on ${qualifiedName(rt)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          'Conflict',
          { name, group: rt.group, kind: rt.plural },
        );
      }
      const next = subresource === 'status' ? { ...prev, status: body.status } : body;
      next.metadata = subresource === 'status' ? clone(prev.metadata) : next.metadata;
      next.metadata.managedFields = trackUpdate(ownersAsSent(prev, next), next, w.manager, scope, w.now);
      return sendJson(res, 200, finish(w, prev, next).obj, record);
    }
    case 'apply':
      return sendJson(res, ...applyRequest(w, bodyText, contentType, query), record);
    case 'patch': {
      const prev = current();
      const patch = parseBody(bodyText, contentType);
      let next: KubeObject;
      if (contentType === 'application/json-patch+json') {
        if (!Array.isArray(patch)) throw new ApiError(400, 'json patch must be an array of operations');
        try {
          next = jsonPatch(prev, patch);
        } catch (e) {
          throw new ApiError(422, (e as Error).message, 'Invalid');
        }
      } else if (
        contentType === 'application/merge-patch+json' ||
        contentType === 'application/strategic-merge-patch+json'
      ) {
        next = mergePatch(prev, patch) as KubeObject;
      } else {
        throw new ApiError(
          415,
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      }
      if (subresource === 'status') next = { ...prev, status: next.status };
      checkIdentity(rt, { namespace, name }, next);
      next.metadata.managedFields = trackUpdate(ownersAsSent(prev, next), next, w.manager, scope, w.now);
      return sendJson(res, 200, finish(w, prev, next).obj, record);
    }
    case 'delete': {
      if (name === undefined)
        throw new ApiError(405, 'deletecollection is not supported by the fake API server');
      const prev = current();
      return sendJson(res, 200, w.dryRun ? prev : ctx.deleteObject(rt, prev), record);
    }
    default:
      throw new ApiError(405, 'the server does not allow this method on the requested resource');
  }
}

function applyRequest(
  w: WriteRequest,
  bodyText: string,
  contentType: string,
  query: Record<string, string>,
): [number, KubeObject] {
  const { rt, namespace, name, ctx } = w;
  if (!query.fieldManager) {
    throw new ApiError(
      422,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      'Invalid',
    );
  }
  if (ctx.faults.takeApplyConflict()) {
    throw new ApiError(
      409,
      `Apply failed with 1 conflict: conflict with "fault-injection" using ${apiVersionOf(rt)}: .spec`,
      'Conflict',
      {
        name,
        group: rt.group,
        kind: rt.plural,
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "fault-injection"', field: '.spec' },
        ],
      },
    );
  }
  const applied = checkIdentity(rt, { namespace, name }, parseBody(bodyText, contentType));
  checkStrict(ctx, query, applied);
  const prev = ctx.store.get(rt, namespace, name!);
  if (!prev && w.scope.subresource === 'status') throw notFound(rt, name!);
  const outcome = serverSideApply(prev, applied, {
    ...w.scope,
    manager: w.manager,
    force: query.force === 'true',
    now: w.now,
  });
  if (!outcome.ok) {
    throw new ApiError(409, outcome.message, 'Conflict', {
      name,
      group: rt.group,
      kind: rt.plural,
      causes: outcome.causes.map((c) => ({ reason: 'FieldManagerConflict', ...c })),
    });
  }
  const next = outcome.object;
  next.metadata.name = name;
  if (rt.namespaced) next.metadata.namespace = namespace;
  const { obj, created } = finish(w, prev, next);
  return [created ? 201 : 200, obj];
}
