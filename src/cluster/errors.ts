/**
 * What went wrong between netpack and the API server, said in one line with a stable code:
 * the words are for people, the code (`-o json`, scripts) does not change with them. Pure: the
 * client hands in what it saw (a Node error, an answer's status and content type).
 */
import { ApiError, ClusterError, type ClusterErrorCode } from './types.ts';

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
export function networkFailure(what: string, e: unknown, at: Whereabouts): ClusterError {
  const err = e as NodeJS.ErrnoException;
  const tls = tlsFailureCode(e);
  if (tls) {
    const why = TLS_REASONS[tls] ?? 'it does not verify';
    return new ClusterError(
      `${what}: the TLS certificate of ${at.host} is not accepted: ${why} (${tls}); ${at.target}: ${tlsAdvice(tls)}, ${PICK_ANOTHER}`,
      'TlsVerifyFailed',
    );
  }
  if (err?.code === 'ECONNREFUSED')
    return new ClusterError(
      `${what}: ${at.host} refused the connection: nothing listens there; the API server of ${at.target} is down or elsewhere: check the cluster, ${PICK_ANOTHER}`,
      'ConnectionRefused',
    );
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN')
    return new ClusterError(
      `${what}: the host name of ${at.host} does not resolve (${err.code}); ${at.target}: check the server URL, ${PICK_ANOTHER}`,
      'Unreachable',
    );
  if (err?.code === 'EPROTO' || /wrong version number|packet length too long/i.test(err?.message ?? ''))
    return new ClusterError(
      `${what}: ${at.host} does not speak TLS (${oneLine(err?.message ?? '', 120)}); ${at.target}: is the server URL meant to be http://?`,
      'NotKubernetes',
    );
  return new ClusterError(
    `${what}: cannot reach ${at.host}: ${oneLine(err?.message ?? String(e), 200)}; ${at.target}: check that the cluster is up and reachable from here, ${PICK_ANOTHER}`,
    'Unreachable',
  );
}

/** A request that was not answered in time (after its tries). */
export function timeoutFailure(what: string, tries: number, after: string, at: Whereabouts): ClusterError {
  return new ClusterError(
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
): ClusterError {
  const start = oneLine(body, 60);
  return new ClusterError(
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

/** The stable code of an error that ended a cluster command, for `-o json`. */
export function errorCode(e: ClusterError | ApiError): ClusterErrorCode | string {
  if (e instanceof ClusterError) return e.code;
  if (e.code === 401) return 'Unauthorized';
  if (e.code === 403) return 'Forbidden';
  return e.reason || `Http${e.code}`;
}
