/**
 * A failed request of apply, diff or delete as their reports show it: the object, the server's
 * words (not naming the object twice) and a stable `code` (`errors.ts`: the HTTP reason such as
 * `Conflict`, `Forbidden`, `Invalid`, or a cluster failure's code) that `-o json` carries and
 * scripts and tests match instead of the words. Pure.
 */
import { errorCode } from './errors.ts';
import { ApiError, ClusterError, type ObjectRef, showRef } from './types.ts';

/** Codes of failures that are neither an API answer nor a cluster failure. */
export type FailureCode = 'Failed';

export interface Failure {
  ref: string;
  message: string;
  /** Stable: `errorCode` of the API's answer or cluster failure, else `Failed`. */
  code: string;
  /**
   * The server refused to let netpack overwrite fields another field manager set since (a
   * server-side apply conflict): running again does not help, --force takes them back.
   */
  conflict?: boolean;
  /** 401 or 403: the credentials or the rights, the same for every write; said once. */
  denied?: boolean;
}

export function failure(ref: ObjectRef | string, error: Error): Failure {
  const shown = typeof ref === 'string' ? ref : showRef(ref);
  // The client names the request ("apply Kind/ns/name: 409 ..."); the report names the object already.
  const message = error.message.replace(/^(apply|create|delete|get) ([^:]+): /, (whole, _verb, named) =>
    named === shown ? '' : whole,
  );
  const conflict = error instanceof ApiError && error.status === 409 && error.reason === 'Conflict';
  const denied = error instanceof ApiError && (error.status === 401 || error.status === 403);
  const code =
    error instanceof ApiError || error instanceof ClusterError ? errorCode(error) : ('Failed' as FailureCode);
  return {
    ref: shown,
    message,
    code,
    ...(conflict ? { conflict: true } : {}),
    ...(denied ? { denied: true } : {}),
  };
}
