/**
 * When a request is tried again, and after how long. Pure: the transport asks, with what it saw
 * (a Node error, an HTTP status, a Retry-After header, whether the server ever answered).
 */

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
export const MAX_RETRY_AFTER_MS = 10_000;
/** Attempts of a request that timed out: a hung server is not worth ten. */
export const TIMEOUT_ATTEMPTS = 2;

const TRANSIENT_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

/** A failure of the connection that a restarting server or a busy network explains. */
export function isTransientNetError(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return TRANSIENT_NET.has(err.code ?? '') || /socket hang up/i.test(err.message ?? '');
}

/** 429 and 5xx (but 501, which a retry does not mend). */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** The wait before attempt `attempt + 1`: exponential with jitter in its upper half. */
export function backoff(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return exp / 2 + random() * (exp / 2);
}

/** The wait after a transient answer: the backoff, or the server's Retry-After (capped) when longer. */
export function answerDelay(policy: RetryPolicy, attempt: number, retryAfter: string | undefined): number {
  const seconds = Number(retryAfter);
  const asked =
    retryAfter !== undefined && Number.isFinite(seconds) ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(backoff(policy, attempt), asked);
}

/** What the transport knows when a request got no answer. */
export interface Failed {
  error: unknown;
  /** This was the last attempt the policy allows. */
  last: boolean;
  /** Whether the server has answered anything yet in this run. */
  answered: boolean;
  /** Timeouts of this request so far, this one included. */
  timeouts: number;
  timedOut: boolean;
}

/**
 * Whether a request that got no answer is tried again. Refused before the server ever answered:
 * nothing listens there (a wrong port or a cluster that is down), not a restart to ride out.
 */
export function retryNoAnswer(f: Failed): boolean {
  if (!isTransientNetError(f.error) || f.last) return false;
  if ((f.error as NodeJS.ErrnoException).code === 'ECONNREFUSED' && !f.answered) return false;
  return !(f.timedOut && f.timeouts >= TIMEOUT_ATTEMPTS);
}
