/**
 * The real ClusterClient: raw HTTP(S) to the API server with client-node's KubeConfig supplying
 * authentication and TLS. Raw, because client-node 1.4's KubernetesObjectApi rebuilds built-in
 * kinds from its typed models and silently drops fields it does not know; apply must send the
 * rendered bytes as they are.
 */
import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { nodeHttp, nodeHttps } from '../builtin.ts';
import { builtinKind } from '../render/kinds.ts';
import {
  forbidden,
  isJsonContentType,
  networkFailure,
  notKubernetes,
  oneLine,
  timeoutFailure,
  unauthorized,
  type Whereabouts,
} from './errors.ts';
import { type ExecConfig, type ExecCredential, ExecCredentials } from './exec-credential.ts';
import {
  ApiError,
  type ApplyOptions,
  type ClientStats,
  type ClusterClient,
  ClusterError,
  FIELD_MANAGER,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type ResourceInfo,
  type ServerVersion,
  showRef,
  toRef,
  type WatchEnd,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from './types.ts';

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  /** First backoff; doubles per attempt up to `maxDelayMs`, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Ten attempts with 50 ms doubling to 2 s: rides out a restarting API server (~15 s). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseDelayMs: 50, maxDelayMs: 2000 };
/** Retry-After is honoured, but no single wait is longer than this. */
const MAX_RETRY_AFTER_MS = 10_000;
/** Page size of lists (kubectl's --chunk-size); the loop follows `continue` until the server says done. */
const PAGE_SIZE = 500;
/** Open connections at most (HTTP/1.1: one request each). */
const MAX_SOCKETS = 80;

export interface ClientOptions {
  retry?: RetryPolicy;
  /** Lines about retries, for --verbose. Never carries object contents. */
  log?: (line: string) => void;
  /**
   * Warnings the API server sent (its `Warning` headers: deprecated APIs, policy checks such as
   * Pod Security), with the request they came with, as kubectl prints them. For a Secret only
   * that there was one: the text may quote a value.
   */
  onWarning?: (what: string, text: string) => void;
  /**
   * How long one request may go without an answer before it is given up (and retried, at most
   * `TIMEOUT_ATTEMPTS` times in all). Watches are not limited: they end by their own timeout.
   */
  requestTimeoutMs?: number;
  /**
   * What the client talks to, for error messages: `context "c" (server URL, kubeconfig FILE)`;
   * by default the context and server of the kubeconfig.
   */
  target?: string;
}

/** A server that accepts connections but never answers is given this long per request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Attempts of a request that timed out: a hung server is not worth ten. */
const TIMEOUT_ATTEMPTS = 2;

/** A request the server did not answer in time. */
class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

interface Answer {
  status: number;
  contentType?: string;
  body: string;
  retryAfter?: string;
  warnings: string[];
}

/**
 * The texts of `Warning` headers (RFC 7234: `299 - "text"`), one per header: read from the raw
 * headers, because Node joins repeated headers with commas, which warning texts contain.
 */
export function warningTexts(rawHeaders: readonly string[]): string[] {
  const texts: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'warning') continue;
    const value = rawHeaders[i + 1]!;
    const m = /^\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(value);
    texts.push(m ? m[1]!.replace(/\\(.)/g, '$1') : value);
  }
  return texts;
}

const TRANSIENT_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

function isTransientNetError(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return TRANSIENT_NET.has(err.code ?? '') || /socket hang up/i.test(err.message ?? '');
}

function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The kubeconfig as client-node should see it to fill in TLS and static credentials: the exec
 * plugin left out (netpack runs it itself, see exec-credential.ts), and a plain-HTTP server
 * marked as not verified, which is what client-node 1.x insists on before it accepts http://
 * (kubectl accepts http:// as it is; there is no TLS to verify).
 */
function viewForOptions(kc: KubeConfig): KubeConfig {
  const cluster = kc.getCurrentCluster()!;
  const context = kc.getContextObject(kc.getCurrentContext());
  const user = kc.getCurrentUser();
  const view = new (kc.constructor as new () => KubeConfig)();
  view.loadFromOptions({
    clusters: [{ ...cluster, skipTLSVerify: cluster.skipTLSVerify || cluster.server.startsWith('http:') }],
    users: user ? [{ ...user, exec: undefined }] : [],
    contexts: context ? [context] : [],
    currentContext: context?.name,
  });
  return view;
}

function statusOf(body: string): { message?: string; reason?: string } {
  try {
    const s = JSON.parse(body) as { message?: string; reason?: string };
    return { message: s.message, reason: s.reason };
  } catch {
    return {};
  }
}

/** Builds a client for the current context of `kc`. */
export async function createClusterClient(kc: KubeConfig, opts: ClientOptions = {}): Promise<ClusterClient> {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new ClusterError('the kubeconfig has no current cluster (set current-context or pass --context)');
  const server = new URL(cluster.server);
  if (server.protocol !== 'https:' && server.protocol !== 'http:') {
    throw new ClusterError(
      `cluster ${cluster.name}: server ${cluster.server} is neither https:// nor http://`,
    );
  }
  const reqOpts: https.RequestOptions = {};
  const user = kc.getCurrentUser();
  const at: Whereabouts = {
    host: server.host,
    target: opts.target ?? `context "${kc.getCurrentContext()}" (server ${cluster.server})`,
    context: kc.getCurrentContext(),
    ...(user ? { user: user.name } : {}),
  };
  const exec = user?.exec
    ? new ExecCredentials(user.exec as ExecConfig, `user "${user.name}" of ${at.target}`)
    : undefined;
  // Static credentials, client certificates, CA and skip-verify exactly as the kubeconfig says.
  try {
    await viewForOptions(kc).applyToHTTPSOptions(reqOpts);
  } catch (e) {
    // A certificate file that cannot be read, a proxy URL it does not support.
    throw new ClusterError(`${at.target}: ${(e as Error).message}`, 'KubeconfigInvalid');
  }
  const tls = {
    ca: reqOpts.ca,
    cert: reqOpts.cert,
    key: reqOpts.key,
    pfx: reqOpts.pfx,
    passphrase: reqOpts.passphrase,
    servername: reqOpts.servername,
    rejectUnauthorized: reqOpts.rejectUnauthorized ?? true,
  };
  // One keep-alive agent for the run (client-node's agent closes each connection); with a proxy,
  // client-node's proxy agent is kept as it is. Sockets for apply's one wave of CRDs and
  // built-ins (two phases of up to DEFAULT_CONCURRENCY each) plus a watch.
  const newAgent = (extra: { cert?: string; key?: string } = {}) =>
    cluster.proxyUrl
      ? reqOpts.agent
      : server.protocol === 'https:'
        ? new (nodeHttps().Agent)({ keepAlive: true, maxSockets: MAX_SOCKETS, ...tls, ...extra })
        : new (nodeHttp().Agent)({ keepAlive: true, maxSockets: MAX_SOCKETS });
  let agent = newAgent();
  const proxied = !!cluster.proxyUrl;
  /** The client certificate an exec plugin gave, which the agent presents. */
  let agentCert: string | undefined;
  /** Agents of earlier certificates: requests may still be on them; closed with the client. */
  const retired: unknown[] = [];
  const baseHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(reqOpts.headers ?? {})) if (v !== undefined) baseHeaders[k] = String(v);
  if (reqOpts.auth) baseHeaders.Authorization = `Basic ${Buffer.from(reqOpts.auth).toString('base64')}`;
  const transport = server.protocol === 'https:' ? nodeHttps() : nodeHttp();
  const basePath = server.pathname.replace(/\/$/, '');
  const retry = opts.retry ?? DEFAULT_RETRY;
  const log = opts.log ?? (() => {});
  const stats: ClientStats = { requests: 0, writes: 0, retries: 0 };

  /** Whether the server has answered anything yet (a refused connection before that is final). */
  let answered = false;
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const timeoutText =
    requestTimeoutMs < 1000 ? `${requestTimeoutMs}ms` : `${Math.round(requestTimeoutMs / 1000)}s`;

  /**
   * Headers of the next request: the static ones, and the exec plugin's token, renewed before it
   * expires. A certificate from the plugin goes into a new agent (TLS is per connection).
   */
  async function authHeaders(): Promise<Record<string, string>> {
    if (!exec) return baseHeaders;
    const cred: ExecCredential = await exec.get();
    if (cred.cert && cred.key && cred.cert !== agentCert && server.protocol === 'https:' && !proxied) {
      retired.push(agent);
      agent = newAgent({ cert: cred.cert, key: cred.key });
      agentCert = cred.cert;
    }
    return cred.token ? { ...baseHeaders, Authorization: `Bearer ${cred.token}` } : baseHeaders;
  }

  function send(
    auth: Record<string, string>,
    method: string,
    path: string,
    body?: string,
    contentType?: string,
    timeoutMs = requestTimeoutMs,
    signal?: AbortSignal,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...auth, Accept: 'application/json' };
      if (body !== undefined) {
        headers['Content-Type'] = contentType ?? 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      stats.requests++;
      const req = transport.request(
        {
          protocol: server.protocol,
          hostname: server.hostname,
          port: server.port,
          path: basePath + path,
          method,
          headers,
          agent,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              ...(res.headers['content-type'] ? { contentType: res.headers['content-type'] } : {}),
              body: Buffer.concat(chunks).toString('utf8'),
              retryAfter: res.headers['retry-after'] as string | undefined,
              warnings: warningTexts(res.rawHeaders),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // No byte from the server for this long: give the request up (the socket goes with it).
      req.setTimeout(timeoutMs, () =>
        req.destroy(
          new RequestTimeout(
            `no answer within ${timeoutMs === requestTimeoutMs ? timeoutText : `${timeoutMs}ms`}`,
          ),
        ),
      );
      req.end(body);
    });
  }

  function backoff(attempt: number): number {
    const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
    return exp / 2 + Math.random() * (exp / 2);
  }

  /**
   * One request with retries. `what` names the request in errors; `secret` keeps the server's
   * message out of errors (a validation message may quote a value).
   */
  async function call(
    method: string,
    path: string,
    what: string,
    body?: string,
    contentType?: string,
    secret = false,
  ): Promise<Answer> {
    let timeouts = 0;
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= retry.attempts;
      let answer: Answer;
      // Outside the try: a failing exec plugin is its own error, not a network one.
      const auth = await authHeaders();
      try {
        answer = await send(auth, method, path, body, contentType);
      } catch (e) {
        const timedOut = e instanceof RequestTimeout;
        // Refused before the server ever answered: nothing listens there (a wrong port or a
        // cluster that is down), not a restart to ride out; say so at once.
        const refusedAtStart = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED' && !answered;
        if (
          !isTransientNetError(e) ||
          last ||
          refusedAtStart ||
          (timedOut && ++timeouts >= TIMEOUT_ATTEMPTS)
        ) {
          throw timedOut ? timeoutFailure(what, timeouts, timeoutText, at) : networkFailure(what, e, at);
        }
        stats.retries++;
        const wait = backoff(attempt);
        log(
          `retry ${what} in ${Math.round(wait)}ms: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
        await sleep(wait);
        continue;
      }
      answered = true;
      // A credential from an exec plugin that the server no longer takes (revoked, or expired
      // earlier than it said): run the plugin again, once.
      if (answer.status === 401 && exec && !reauthenticated) {
        reauthenticated = true;
        exec.invalidate();
        log(`${what}: 401, running the exec credential plugin again`);
        continue;
      }
      if (answer.status < 400 || !isTransientStatus(answer.status) || last) {
        // Kubernetes answers JSON; a Go mux's bare "404 page not found" is text/plain, and a 401
        // or 403 of an authenticating proxy in front of it is still about the credentials.
        if (
          !isJsonContentType(answer.contentType) &&
          !(answer.status === 404 && /^text\/plain/i.test(answer.contentType ?? '')) &&
          answer.status !== 401 &&
          answer.status !== 403
        )
          throw notKubernetes(what, answer.status, answer.contentType, answer.body, at);
        for (const text of answer.warnings)
          opts.onWarning?.(
            what,
            secret ? 'the API server sent a warning (not shown: it may quote a value)' : text,
          );
        if (answer.status >= 400 && !(answer.status === 404 || answer.status === 409)) {
          const s = statusOf(answer.body);
          const message = secret ? '' : (s.message ?? '');
          if (answer.status === 401) throw unauthorized(what, message, at);
          if (answer.status === 403) throw forbidden(what, message, at);
          // One line: a server's message may span several.
          const detail = secret ? (s.reason ?? '') : oneLine(s.message ?? answer.body, 500);
          throw new ApiError(`${what}: ${answer.status} ${detail}`.trim(), answer.status, s.reason);
        }
        return answer;
      }
      stats.retries++;
      const afterSeconds = Number(answer.retryAfter);
      const wait = Math.max(
        backoff(attempt),
        Number.isFinite(afterSeconds) ? Math.min(afterSeconds * 1000, MAX_RETRY_AFTER_MS) : 0,
      );
      log(`retry ${what} in ${Math.round(wait)}ms: HTTP ${answer.status}`);
      await sleep(wait);
    }
  }

  const discovery = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  function discover(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    let cached = discovery.get(apiVersion);
    if (!cached) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      cached = call('GET', path, `discovery of ${apiVersion}`).then((a) => {
        if (a.status === 404) return undefined;
        const doc = parse<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(
          a,
          `discovery of ${apiVersion}`,
        );
        const byKind = new Map<string, ResourceInfo>();
        for (const r of doc.resources ?? []) {
          if (r.name.includes('/')) continue;
          byKind.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        }
        return byKind;
      });
      cached.catch(() => discovery.delete(apiVersion));
      discovery.set(apiVersion, cached);
    }
    return cached;
  }

  async function resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    // Built-in kinds every supported Kubernetes serves at the same path need no discovery round
    // trip before the first read (kubectl caches discovery on disk for the same reason).
    return builtinKind(apiVersion, kind) ?? (await discover(apiVersion))?.get(kind);
  }

  function collectionPath(apiVersion: string, info: ResourceInfo, namespace: string | undefined): string {
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return info.namespaced && namespace
      ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
      : `${prefix}/${info.plural}`;
  }

  async function objectPath(ref: ObjectRef): Promise<string> {
    const info = await resource(ref.apiVersion, ref.kind);
    if (!info)
      throw new ApiError(
        `${showRef(ref)}: the server does not serve ${ref.kind} in ${ref.apiVersion}`,
        404,
        'NotFound',
      );
    if (info.namespaced && !ref.namespace)
      throw new ClusterError(`${showRef(ref)}: ${ref.kind} is namespaced but has no namespace`);
    return `${collectionPath(ref.apiVersion, info, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  function query(params: Record<string, string | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  /** The answer's JSON; a body that does not parse is not the Kubernetes API. */
  function parse<T = KubeObject>(a: Answer, what: string): T {
    try {
      return JSON.parse(a.body) as T;
    } catch {
      throw notKubernetes(what, a.status, a.contentType, a.body, at);
    }
  }

  /** A write guarded by resourceVersion: 'conflict' when the object changed (409) since it was read. */
  async function guardedWrite(
    method: string,
    target: ObjectRef | KubeObject,
    body: string,
    contentType: string,
    what: string,
  ): Promise<KubeObject | 'conflict'> {
    const ref = 'metadata' in target ? toRef(target) : target;
    stats.writes++;
    const q = query({ fieldManager: FIELD_MANAGER });
    let a: Awaited<ReturnType<typeof call>>;
    try {
      a = await call(method, (await objectPath(ref)) + q, what, body, contentType, ref.kind === 'Secret');
    } catch (e) {
      // A failed JSON-patch `test` (the resourceVersion moved) is a 422 Invalid.
      if (e instanceof ApiError && e.status === 422 && contentType.includes('json-patch')) return 'conflict';
      throw e;
    }
    if (a.status === 409) return 'conflict';
    if (a.status === 404) throw new ApiError(`${what}: 404 not found`, 404, 'NotFound');
    return parse(a, what);
  }

  const client: ClusterClient = {
    stats,
    resource,
    learnCrd(crd) {
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
        const known = (discovery.get(apiVersion) ?? Promise.resolve(undefined)).catch(() => undefined);
        discovery.set(
          apiVersion,
          known.then((m) => new Map(m ?? []).set(kind, { plural, namespaced: spec.scope === 'Namespaced' })),
        );
      }
    },

    async serverVersion() {
      const a = await call('GET', '/version', 'get the server version');
      if (a.status >= 400) throw new ApiError(`get the server version: ${a.status}`, a.status, 'Unknown');
      return JSON.parse(a.body) as ServerVersion;
    },

    async get(ref) {
      const what = `get ${showRef(ref)}`;
      const a = await call('GET', await objectPath(ref), what);
      return a.status === 404 ? undefined : parse(a, what);
    },

    async list(apiVersion, kind, o: ListOptions = {}) {
      const info = await resource(apiVersion, kind);
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
        const a = await call('GET', path + q, `list ${kind}`);
        if (a.status === 404) return { items: [], resourceVersion: '' };
        const doc = parse<{
          items?: KubeObject[];
          metadata?: { continue?: string; resourceVersion?: string };
        }>(a, `list ${kind}`);
        // Built-in list items come without apiVersion/kind; put them back.
        for (const item of doc.items ?? []) items.push({ ...item, apiVersion, kind });
        cont = doc.metadata?.continue || undefined;
        resourceVersion = doc.metadata?.resourceVersion ?? resourceVersion;
      } while (cont);
      return { items, resourceVersion };
    },

    async watch(apiVersion, kind, o: WatchOptions, onEvent, signal) {
      const info = await resource(apiVersion, kind);
      if (!info)
        throw new ApiError(
          `watch ${kind}: the server does not serve ${kind} in ${apiVersion}`,
          404,
          'NotFound',
        );
      const q = query({
        watch: 'true',
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
        resourceVersion: o.resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: o.timeoutSeconds === undefined ? undefined : String(o.timeoutSeconds),
      });
      const path = basePath + collectionPath(apiVersion, info, o.namespace) + q;
      const auth = await authHeaders();
      return new Promise<WatchEnd>((resolve) => {
        if (signal?.aborted) return resolve('aborted');
        stats.requests++;
        let expired = false;
        let settled = false;
        const done = (end: WatchEnd) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(end);
        };
        const req = transport.request(
          {
            protocol: server.protocol,
            hostname: server.hostname,
            port: server.port,
            path,
            method: 'GET',
            headers: { ...auth, Accept: 'application/json' },
            agent,
          },
          (res) => {
            if ((res.statusCode ?? 0) === 410) {
              res.resume();
              return done('expired');
            }
            if ((res.statusCode ?? 0) >= 300) {
              res.resume();
              // The exec plugin's credential was refused: the next watch runs it again.
              if (res.statusCode === 401) exec?.invalidate();
              return done('closed');
            }
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
                const line = buf.slice(0, nl).trim();
                buf = buf.slice(nl + 1);
                if (!line) continue;
                let ev: WatchEvent;
                try {
                  ev = JSON.parse(line) as WatchEvent;
                } catch {
                  continue;
                }
                if (ev.type === 'ERROR') {
                  if ((ev.object as unknown as { code?: number }).code === 410) expired = true;
                  continue;
                }
                onEvent({ type: ev.type, object: { ...ev.object, apiVersion, kind } });
              }
            });
            res.on('end', () => done(expired ? 'expired' : 'closed'));
            res.on('error', () => done(expired ? 'expired' : 'closed'));
            res.on('close', () => done(expired ? 'expired' : 'closed'));
          },
        );
        const onAbort = () => {
          req.destroy();
          done('aborted');
        };
        signal?.addEventListener('abort', onAbort);
        req.on('error', () => done(signal?.aborted ? 'aborted' : 'closed'));
        req.end();
      });
    },

    async apply(obj, o: ApplyOptions) {
      const q = query({
        fieldManager: FIELD_MANAGER,
        // A field the server does not know (a typo in a custom manifest, a field newer than the
        // cluster) fails the write instead of being dropped without a word, as with kubectl.
        fieldValidation: 'Strict',
        force: o.force ? 'true' : undefined,
        dryRun: o.dryRun ? 'All' : undefined,
      });
      stats.writes++;
      const secret = obj.kind === 'Secret';
      const a = await call(
        'PATCH',
        (await objectPath(toRef(obj))) + q,
        `apply ${showRef(obj)}`,
        JSON.stringify(obj),
        'application/apply-patch+yaml',
        secret,
      );
      if (a.status >= 400) {
        const s = statusOf(a.body);
        throw new ApiError(
          `apply ${showRef(obj)}: ${a.status} ${secret ? (s.reason ?? '') : (s.message ?? '')}`.trim(),
          a.status,
          s.reason,
        );
      }
    },

    async create(obj, o: WriteOptions) {
      const info = await resource(obj.apiVersion, obj.kind);
      if (!info) throw new ApiError(`create ${showRef(obj)}: ${obj.kind} is not served`, 404, 'NotFound');
      const q = query({
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        dryRun: o.dryRun ? 'All' : undefined,
      });
      stats.writes++;
      const secret = obj.kind === 'Secret';
      const path = collectionPath(obj.apiVersion, info, obj.metadata.namespace) + q;
      const a = await call(
        'POST',
        path,
        `create ${showRef(obj)}`,
        JSON.stringify(obj),
        'application/json',
        secret,
      );
      if (a.status === 409) return 'exists';
      if (a.status >= 400) {
        const s = statusOf(a.body);
        throw new ApiError(
          `create ${showRef(obj)}: ${a.status} ${secret ? (s.reason ?? '') : (s.message ?? '')}`.trim(),
          a.status,
          s.reason,
        );
      }
      return parse(a, `create ${showRef(obj)}`);
    },

    async replace(obj) {
      return guardedWrite('PUT', obj, JSON.stringify(obj), 'application/json', `replace ${showRef(obj)}`);
    },

    async patchJson(ref, ops) {
      return guardedWrite(
        'PATCH',
        ref,
        JSON.stringify(ops),
        'application/json-patch+json',
        `patch ${showRef(ref)}`,
      );
    },

    async delete(ref, o: WriteOptions) {
      const q = query({ dryRun: o.dryRun ? 'All' : undefined, propagationPolicy: 'Background' });
      stats.writes++;
      const a = await call('DELETE', (await objectPath(ref)) + q, `delete ${showRef(ref)}`);
      if (a.status === 404) return 'absent';
      if (a.status >= 400) {
        const s = statusOf(a.body);
        throw new ApiError(
          `delete ${showRef(ref)}: ${a.status} ${s.message ?? ''}`.trim(),
          a.status,
          s.reason,
        );
      }
      return 'deleted';
    },

    async nodeConfigz(node) {
      // Best-effort evidence for status: one try, no retries (an unreachable kubelet is a 503
      // that retrying does not mend).
      const a = await send(
        await authHeaders(),
        'GET',
        `/api/v1/nodes/${encodeURIComponent(node)}/proxy/configz`,
      );
      if (a.status === 200) return JSON.parse(a.body) as unknown;
      const s = statusOf(a.body);
      throw new ApiError(
        `configz of node ${node}: ${a.status} ${s.message ?? ''}`.trim(),
        a.status,
        s.reason,
      );
    },

    async proxyGet(path, timeoutMs, signal) {
      // One try: what answers is a program in a pod, and the caller knows what a failure means.
      try {
        const a = await send(await authHeaders(), 'GET', path, undefined, undefined, timeoutMs, signal);
        return { status: a.status, body: a.body };
      } catch (e) {
        if (signal?.aborted) throw e;
        return { status: 0, body: (e as Error).message };
      }
    },

    close() {
      for (const a of [agent, ...retired]) if (a instanceof nodeHttp().Agent) a.destroy();
    },
  };
  return client;
}
