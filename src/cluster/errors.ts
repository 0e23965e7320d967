/**
 * What went wrong between netpack and the API server, said in one line with a stable code:
 * the words are for people, the code (`-o json`, scripts) does not change with them. Pure: the
 * client hands in what it saw (a Node error, an answer's status and content type).
 */

/** Stable codes of failures that are not an HTTP answer (`-o json`, scripts); the message is for people. */
export type ClusterErrorCode =
  | 'ClusterError'
  | 'KubeconfigInvalid'
  | 'ExecPluginFailed'
  | 'TlsVerifyFailed'
  | 'NotKubernetes'
  | 'ConnectionRefused'
  | 'Unreachable'
  | 'Timeout'
  | 'LockHeld'
  | 'LockLost';

/**
 * The one family of cluster errors: everything that ends a cluster command is a ClusterError
 * (or a subclass) with a stable `code`, and its message is one line. The cluster cannot be
 * reached, the kubeconfig is unusable, a plugin failed, or the API server refused: not a config
 * problem.
 */
export class ClusterError extends Error {
  /** `ClusterErrorCode`, or for an HTTP answer the code `httpCode` gives it. */
  readonly code: string;
  constructor(message: string, code: ClusterErrorCode | ApiErrorCode = 'ClusterError') {
    super(message);
    this.code = code;
  }
}

/**
 * The kubeconfig is missing or unusable, or `--kubeconfig`/`--context` names nothing: the
 * command line or its environment is wrong (exit 2), not the cluster.
 */
export class KubeconfigError extends ClusterError {
  constructor(message: string, code: ClusterErrorCode = 'KubeconfigInvalid') {
    super(message, code);
  }
}

/** No HTTP answer: refused, unknown host, TLS verification, no answer in time, not the API. */
export class ConnectionError extends ClusterError {}

/** An exec credential plugin could not be run or gave nothing usable (`ExecPluginFailed`). */
export class ExecPluginError extends ClusterError {
  constructor(message: string) {
    super(message, 'ExecPluginFailed');
  }
}

/** The code of an HTTP failure: `Unauthorized`, `Forbidden`, the Status reason, else `Http<status>`. */
export type ApiErrorCode = 'Unauthorized' | 'Forbidden' | `Http${number}` | (string & {});

export function httpCode(status: number, reason: string | undefined): ApiErrorCode {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  return reason || `Http${status}`;
}

/** A failure answer of the API server (after retries): its HTTP `status` and Status `reason`. */
export class ApiError extends ClusterError {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | undefined,
  ) {
    super(message, httpCode(status, reason));
    this.name = 'ApiError';
  }
}

/**
 * Node's TLS verification codes (OpenSSL's names, plus Node's own for the host name), each with
 * what it means for the operator. Anything else starting with CERT_/ERR_TLS_ is still a TLS
 * verification failure, said with its code.
 */
const UNKNOWN_CA = 'it is signed by a certificate authority the kubeconfig does not trust (unknown CA)';
const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNKNOWN_CA,
  UNABLE_TO_GET_ISSUER_CERT: UNKNOWN_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNKNOWN_CA,
  SELF_SIGNED_CERT_IN_CHAIN: UNKNOWN_CA,
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed and the kubeconfig does not trust it (unknown CA)',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it is not issued for this host name: hostname mismatch',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet (check the clock of this machine)',
  CERT_REVOKED: 'it has been revoked',
  CERT_UNTRUSTED: 'it is not trusted for this purpose',
  INVALID_CA: 'a certificate of its chain is not a valid certificate authority',
};

/** What to do about each kind of certificate failure. */
function tlsAdvice(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return "use a server URL with a name the certificate is issued for, or set the cluster's tls-server-name";
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return "renew the API server's certificate (or correct this machine's clock)";
  return "set the cluster's certificate-authority(-data) to the CA that signed the API server's certificate";
}

/** The code of a Node TLS verification failure, or undefined when `e` is something else. */
export function tlsFailureCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (code in TLS_REASONS || /^(CERT_|ERR_TLS_CERT)/.test(code)) return code;
  return undefined;
}

/** Where the client talks to, for messages: `context "c" (server URL, kubeconfig FILE)`. */
export interface Whereabouts {
  /** `host:port`. */
  host: string;
  /** `context "c" (server …, kubeconfig …)`. */
  target: string;
  context?: string;
  user?: string;
}

const PICK_ANOTHER = 'or pick another cluster with --context NAME or --kubeconfig FILE';

/**
 * A request that got no HTTP answer at all: refused, TLS verification, unknown host, reset.
 * `what` names the request (`list Node`).
 */
export function networkFailure(what: string, e: unknown, at: Whereabouts): ConnectionError {
  const err = e as NodeJS.ErrnoException;
  const tls = tlsFailureCode(e);
  if (tls) {
    const why = TLS_REASONS[tls] ?? 'it does not verify';
    return new ConnectionError(
      `${what}: the TLS certificate of ${at.host} is not accepted: ${why} (${tls}); ${at.target}: ${tlsAdvice(tls)}, ${PICK_ANOTHER}`,
      'TlsVerifyFailed',
    );
  }
  if (err?.code === 'ECONNREFUSED')
    return new ConnectionError(
      `${what}: ${at.host} refused the connection: nothing listens there; the API server of ${at.target} is down or elsewhere: check the cluster, ${PICK_ANOTHER}`,
      'ConnectionRefused',
    );
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN')
    return new ConnectionError(
      `${what}: the host name of ${at.host} does not resolve (${err.code}); ${at.target}: check the server URL, ${PICK_ANOTHER}`,
      'Unreachable',
    );
  if (err?.code === 'EPROTO' || /wrong version number|packet length too long/i.test(err?.message ?? ''))
    return new ConnectionError(
      `${what}: ${at.host} does not speak TLS (${oneLine(err?.message ?? '', 120)}); ${at.target}: is the server URL meant to be http://?`,
      'NotKubernetes',
    );
  return new ConnectionError(
    `${what}: cannot reach ${at.host}: ${oneLine(err?.message ?? String(e), 200)}; ${at.target}: check that the cluster is up and reachable from here, ${PICK_ANOTHER}`,
    'Unreachable',
  );
}

/** A request that was not answered in time (after its tries). */
export function timeoutFailure(what: string, tries: number, after: string, at: Whereabouts): ConnectionError {
  return new ConnectionError(
    `${what}: ${at.host} accepted the connection but sent no answer within ${after} (${tries} tries); is it the API server, and is it healthy? (${at.target})`,
    'Timeout',
  );
}

/** Whether an answer's content type is one the Kubernetes API sends for JSON. */
export function isJsonContentType(contentType: string | undefined): boolean {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

/**
 * An answer that is not the Kubernetes API (a login page, a proxy's error page, a web server):
 * its status, content type and first bytes, made printable.
 */
export function notKubernetes(
  what: string,
  status: number,
  contentType: string | undefined,
  body: string,
  at: Whereabouts,
): ConnectionError {
  const start = oneLine(body, 60);
  return new ConnectionError(
    `${what}: ${at.host} answered ${status} ${contentType || 'without a content type'}${start ? ` starting "${start}"` : ', empty'}, not the Kubernetes API; ${at.target}: check the server URL (a proxy or a login page in the way?), ${PICK_ANOTHER}`,
    'NotKubernetes',
  );
}

/** 401: the credentials were not accepted. */
export function unauthorized(what: string, message: string, at: Whereabouts): ApiError {
  const who = at.user ? `user "${at.user}"` : 'no user (anonymous)';
  return new ApiError(
    `${what}: 401 Unauthorized: the API server did not accept the credentials of ${who} of ${at.target}${message ? ` (${oneLine(message, 200)})` : ''}: renew them (a token or certificate may have expired), ${PICK_ANOTHER}`,
    401,
    'Unauthorized',
  );
}

/**
 * 403: authenticated, but not allowed this verb on this resource. `what` is said twice: apply's
 * report drops the leading one, as it names the object itself.
 */
export function forbidden(what: string, message: string, at: Whereabouts): ApiError {
  const who = at.user ? `user "${at.user}"` : 'no user (anonymous)';
  return new ApiError(
    `${what}: 403 Forbidden: ${who} of ${at.target} may not ${what}${message ? ` (the API server says: ${oneLine(message, 300)})` : ''}; netpack reads and writes the network's objects: use a context with those rights (cluster-admin)`,
    403,
    'Forbidden',
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * Text from outside (a server body, a plugin's stderr) made one printable line: control
 * characters and line breaks become spaces, long runs are cut to `max` characters.
 */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * The stable code of an error that ended a cluster command, for `-o json`: the family's own
 * code, `Internal` for anything else (a bug).
 */
export function errorCode(e: unknown): string {
  return e instanceof ClusterError ? e.code : 'Internal';
}
