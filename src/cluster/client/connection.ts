/**
 * The connection to one API server: its URL, TLS and static credentials as client-node reads
 * them from the kubeconfig, exec plugin credentials (netpack runs the plugin itself), one
 * keep-alive agent, and single requests on it. No retries, no judgement of the answer: that is
 * transport.ts.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { nodeHttp, nodeHttps } from '../../builtin.ts';
import { KubeconfigError, type Whereabouts } from '../errors.ts';
import { type ExecConfig, type ExecCredential, ExecCredentials } from '../exec-credential.ts';
import type { ClientStats } from '../types.ts';

/** Open connections at most (HTTP/1.1: one request each). */
const MAX_SOCKETS = 80;

/** What came back for one request. */
export interface Answer {
  status: number;
  contentType?: string;
  body: string;
  retryAfter?: string;
  warnings: string[];
}

/** A request the server did not answer in time. */
export class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

/** One request as sent: the path is below the server URL's own path. */
export interface Request {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  /** The Accept header when it is not plain JSON (a metadata-only list). */
  accept?: string;
  /** No byte from the server for this long gives the request up (`RequestTimeout`). */
  timeoutMs: number;
  signal?: AbortSignal;
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

/** The current cluster's server URL; http:// or https:// only. */
function serverUrl(kc: KubeConfig): URL {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new KubeconfigError(
      'the kubeconfig has no current cluster (set current-context or pass --context)',
    );
  let server: URL | undefined;
  try {
    server = new URL(cluster.server);
  } catch {
    server = undefined;
  }
  if (server?.protocol !== 'https:' && server?.protocol !== 'http:')
    throw new KubeconfigError(
      `cluster ${cluster.name}: server ${cluster.server} is neither https:// nor http://`,
    );
  return server!;
}

/** Static credentials, client certificates, CA and skip-verify exactly as the kubeconfig says. */
async function staticOptions(kc: KubeConfig, target: string): Promise<https.RequestOptions> {
  const reqOpts: https.RequestOptions = {};
  try {
    await viewForOptions(kc).applyToHTTPSOptions(reqOpts);
  } catch (e) {
    // A certificate file that cannot be read, a proxy URL it does not support.
    throw new KubeconfigError(`${target}: ${(e as Error).message}`);
  }
  return reqOpts;
}

function staticHeaders(reqOpts: https.RequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(reqOpts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  if (reqOpts.auth) headers.Authorization = `Basic ${Buffer.from(reqOpts.auth).toString('base64')}`;
  return headers;
}

/** The API server of the current context, and the requests sent to it. */
export class Connection {
  readonly stats: ClientStats = { requests: 0, writes: 0, retries: 0 };
  private agent: unknown;
  /** Agents of earlier certificates: requests may still be on them; closed with the client. */
  private readonly retired: unknown[] = [];
  /** The client certificate an exec plugin gave, which the agent presents. */
  private agentCert: string | undefined;

  private constructor(
    private readonly server: URL,
    private readonly reqOpts: https.RequestOptions,
    private readonly proxied: boolean,
    private readonly baseHeaders: Record<string, string>,
    private readonly exec: ExecCredentials | undefined,
    readonly at: Whereabouts,
  ) {
    this.agent = this.newAgent();
  }

  /** The connection the current context of `kc` describes; `target` names it in messages. */
  static async open(kc: KubeConfig, target?: string): Promise<Connection> {
    const server = serverUrl(kc);
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser();
    const at: Whereabouts = {
      host: server.host,
      target: target ?? `context "${kc.getCurrentContext()}" (server ${cluster.server})`,
      context: kc.getCurrentContext(),
      ...(user ? { user: user.name } : {}),
    };
    const exec = user?.exec
      ? new ExecCredentials(user.exec as ExecConfig, `user "${user.name}" of ${at.target}`)
      : undefined;
    const reqOpts = await staticOptions(kc, at.target);
    return new Connection(server, reqOpts, !!cluster.proxyUrl, staticHeaders(reqOpts), exec, at);
  }

  /**
   * One keep-alive agent for the run (client-node's agent closes each connection); with a proxy,
   * client-node's proxy agent is kept as it is. Sockets for apply's one wave of CRDs and
   * built-ins (two phases of up to DEFAULT_CONCURRENCY each) plus a watch.
   */
  private newAgent(extra: { cert?: string; key?: string } = {}): unknown {
    if (this.proxied) return this.reqOpts.agent;
    if (this.server.protocol !== 'https:')
      return new (nodeHttp().Agent)({ keepAlive: true, maxSockets: MAX_SOCKETS });
    const o = this.reqOpts;
    const tls = {
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      pfx: o.pfx,
      passphrase: o.passphrase,
      servername: o.servername,
      rejectUnauthorized: o.rejectUnauthorized ?? true,
    };
    return new (nodeHttps().Agent)({ keepAlive: true, maxSockets: MAX_SOCKETS, ...tls, ...extra });
  }

  /** Whether credentials come from an exec plugin (a 401 is then worth one more run of it). */
  get renewable(): boolean {
    return this.exec !== undefined;
  }

  /** The server refused the credential: the next request runs the exec plugin again. */
  invalidateCredential(): void {
    this.exec?.invalidate();
  }

  /**
   * Headers of the next request: the static ones, and the exec plugin's token, renewed before it
   * expires. A certificate from the plugin goes into a new agent (TLS is per connection).
   */
  async authHeaders(): Promise<Record<string, string>> {
    if (!this.exec) return this.baseHeaders;
    const cred: ExecCredential = await this.exec.get();
    if (
      cred.cert &&
      cred.key &&
      cred.cert !== this.agentCert &&
      this.server.protocol === 'https:' &&
      !this.proxied
    ) {
      this.retired.push(this.agent);
      this.agent = this.newAgent({ cert: cred.cert, key: cred.key });
      this.agentCert = cred.cert;
    }
    return cred.token ? { ...this.baseHeaders, Authorization: `Bearer ${cred.token}` } : this.baseHeaders;
  }

  /** Starts one request with these headers; the caller reads the response. */
  start(auth: Record<string, string>, r: Request, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const headers: Record<string, string> = { ...auth, Accept: r.accept ?? 'application/json' };
    if (r.body !== undefined) {
      headers['Content-Type'] = r.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(r.body));
    }
    this.stats.requests++;
    const transport = this.server.protocol === 'https:' ? nodeHttps() : nodeHttp();
    return transport.request(
      {
        protocol: this.server.protocol,
        hostname: this.server.hostname,
        port: this.server.port,
        path: this.server.pathname.replace(/\/$/, '') + r.path,
        method: r.method,
        headers,
        agent: this.agent as https.Agent,
        ...(r.signal ? { signal: r.signal } : {}),
      },
      onResponse,
    );
  }

  /**
   * One request, read to its end. Rejects with Node's error when no answer came, with a
   * `RequestTimeout` (`timeoutText` in its message) when none came in time.
   */
  send(auth: Record<string, string>, r: Request, timeoutText = `${r.timeoutMs}ms`): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = this.start(auth, r, (res) => {
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
      });
      req.on('error', reject);
      // No byte from the server for this long: give the request up (the socket goes with it).
      req.setTimeout(r.timeoutMs, () => req.destroy(new RequestTimeout(`no answer within ${timeoutText}`)));
      req.end(r.body);
    });
  }

  close(): void {
    for (const a of [this.agent, ...this.retired]) if (a instanceof nodeHttp().Agent) a.destroy();
  }
}
