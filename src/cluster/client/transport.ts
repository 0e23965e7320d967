/**
 * Requests as the verbs need them: retried by the policy of retry.ts, given up after a timeout,
 * a 401 with an exec plugin's credential answered by running the plugin once more, the API
 * server's warnings handed on, and every answer that is not a success turned into one error of
 * the family (errors.ts) that names the request and the cluster.
 */
import {
  ApiError,
  type ClusterError,
  forbidden,
  isJsonContentType,
  networkFailure,
  notKubernetes,
  oneLine,
  timeoutFailure,
  unauthorized,
} from '../errors.ts';
import type { ClientStats } from '../types.ts';
import { type Answer, type Connection, RequestTimeout } from './connection.ts';
import {
  answerDelay,
  backoff,
  DEFAULT_RETRY,
  isTransientStatus,
  type RetryPolicy,
  retryNoAnswer,
} from './retry.ts';

/** A server that accepts connections but never answers is given this long per request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export interface TransportOptions {
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
}

/** One request of a verb: `what` names it in errors; `secret` keeps the server's words out of them. */
export interface Call {
  method: string;
  path: string;
  what: string;
  body?: string;
  contentType?: string;
  accept?: string;
  secret?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `message` and `reason` of a Status body, when it is one. */
export function statusOf(body: string): { message?: string; reason?: string } {
  try {
    const s = JSON.parse(body) as { message?: string; reason?: string };
    return { message: s.message, reason: s.reason };
  } catch {
    return {};
  }
}

/** The ApiError of a failure answer, the server's message left out for a Secret. */
export function answerError(what: string, a: Answer, secret = false): ApiError {
  const s = statusOf(a.body);
  // One line: a server's message may span several.
  const detail = secret ? (s.reason ?? '') : oneLine(s.message ?? a.body, 500);
  return new ApiError(`${what}: ${a.status} ${detail}`.trim(), a.status, s.reason);
}

export class Transport {
  readonly retry: RetryPolicy;
  readonly requestTimeoutMs: number;
  private readonly timeoutText: string;
  private readonly log: (line: string) => void;
  /** Whether the server has answered anything yet (a refused connection before that is final). */
  private answered = false;

  constructor(
    readonly connection: Connection,
    private readonly opts: TransportOptions = {},
  ) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.log = opts.log ?? (() => {});
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const ms = this.requestTimeoutMs;
    this.timeoutText = ms < 1000 ? `${ms}ms` : `${Math.round(ms / 1000)}s`;
  }

  get stats(): ClientStats {
    return this.connection.stats;
  }

  /**
   * One request with retries; 404 and 409 are answers the verbs read, every other failure is
   * thrown as one error of the family.
   */
  async call(c: Call): Promise<Answer> {
    let timeouts = 0;
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.attempts;
      // Outside the try: a failing exec plugin is its own error, not a network one.
      const auth = await this.connection.authHeaders();
      let answer: Answer;
      try {
        answer = await this.connection.send(
          auth,
          {
            method: c.method,
            path: c.path,
            body: c.body,
            contentType: c.contentType,
            accept: c.accept,
            timeoutMs: this.requestTimeoutMs,
          },
          this.timeoutText,
        );
      } catch (e) {
        const timedOut = e instanceof RequestTimeout;
        if (timedOut) timeouts++;
        if (!retryNoAnswer({ error: e, last, answered: this.answered, timeouts, timedOut }))
          throw this.noAnswer(c.what, e, timeouts);
        await this.pause(
          c.what,
          backoff(this.retry, attempt),
          (e as NodeJS.ErrnoException).code ?? (e as Error).message,
        );
        continue;
      }
      this.answered = true;
      // A credential from an exec plugin that the server no longer takes (revoked, or expired
      // earlier than it said): run the plugin again, once.
      if (answer.status === 401 && this.connection.renewable && !reauthenticated) {
        reauthenticated = true;
        this.connection.invalidateCredential();
        this.log(`${c.what}: 401, running the exec credential plugin again`);
        continue;
      }
      if (answer.status < 400 || !isTransientStatus(answer.status) || last) return this.judge(c, answer);
      await this.pause(c.what, answerDelay(this.retry, attempt, answer.retryAfter), `HTTP ${answer.status}`);
    }
  }

  private noAnswer(what: string, e: unknown, timeouts: number): ClusterError {
    const at = this.connection.at;
    return e instanceof RequestTimeout
      ? timeoutFailure(what, timeouts, this.timeoutText, at)
      : networkFailure(what, e, at);
  }

  private async pause(what: string, wait: number, why: string): Promise<void> {
    this.stats.retries++;
    this.log(`retry ${what} in ${Math.round(wait)}ms: ${why}`);
    await sleep(wait);
  }

  /** The final answer: not the API, a refusal, or one the verbs read (hand on its warnings). */
  private judge(c: Call, answer: Answer): Answer {
    const at = this.connection.at;
    // Kubernetes answers JSON; a Go mux's bare "404 page not found" is text/plain, and a 401
    // or 403 of an authenticating proxy in front of it is still about the credentials.
    if (
      !isJsonContentType(answer.contentType) &&
      !(answer.status === 404 && /^text\/plain/i.test(answer.contentType ?? '')) &&
      answer.status !== 401 &&
      answer.status !== 403
    )
      throw notKubernetes(c.what, answer.status, answer.contentType, answer.body, at);
    for (const text of answer.warnings)
      this.opts.onWarning?.(
        c.what,
        c.secret ? 'the API server sent a warning (not shown: it may quote a value)' : text,
      );
    if (answer.status < 400 || answer.status === 404 || answer.status === 409) return answer;
    const message = c.secret ? '' : (statusOf(answer.body).message ?? '');
    if (answer.status === 401) throw unauthorized(c.what, message, at);
    if (answer.status === 403) throw forbidden(c.what, message, at);
    throw answerError(c.what, answer, c.secret);
  }

  /** The answer's JSON; a body that does not parse is not the Kubernetes API. */
  parse<T>(a: Answer, what: string): T {
    try {
      return JSON.parse(a.body) as T;
    } catch {
      throw notKubernetes(what, a.status, a.contentType, a.body, this.connection.at);
    }
  }

  /** A GET's JSON, undefined for 404. */
  async readJson<T>(path: string, what: string, accept?: string): Promise<T | undefined> {
    const a = await this.call({ method: 'GET', path, what, accept });
    return a.status === 404 ? undefined : this.parse<T>(a, what);
  }

  /**
   * One GET of a raw path (a node, pod or Service proxy), no retries: what answers is a program
   * behind the API server, and the caller knows what a failure means. Status 0 with the error
   * as body when no answer came.
   */
  async proxyGet(
    path: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: string }> {
    const shown = timeoutMs === this.requestTimeoutMs ? this.timeoutText : `${timeoutMs}ms`;
    try {
      const auth = await this.connection.authHeaders();
      const a = await this.connection.send(
        auth,
        { method: 'GET', path, timeoutMs, ...(signal ? { signal } : {}) },
        shown,
      );
      return { status: a.status, body: a.body };
    } catch (e) {
      if (signal?.aborted) throw e;
      return { status: 0, body: (e as Error).message };
    }
  }
}
