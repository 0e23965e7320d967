// Small HTTP helpers shared by the handlers: JSON responses and Kubernetes Status errors.
import type { ServerResponse } from 'node:http';

export interface RequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Classified verb, e.g. 'apply', 'list', 'watch', 'discovery'. */
  verb: string;
  /** Plural resource name when the path names one. */
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  contentType?: string;
  /** The Accept header, when the client sent one. */
  accept?: string;
  /** HTTP status sent; 0 when the connection was reset by a fault; undefined while in flight. */
  status?: number;
  /** Whether the request was a dry run (dryRun=All). */
  dryRun: boolean;
  /** performance.now() when the request arrived and when its response finished (or was cut). */
  startedAt: number;
  endedAt?: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** An error that becomes a Kubernetes `Status` response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = REASONS[code] ?? 'Unknown',
    readonly details?: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    const details = { ...this.details };
    if (this.retryAfterSeconds !== undefined) details.retryAfterSeconds = this.retryAfterSeconds;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(Object.keys(details).length > 0 ? { details } : {}),
      code: this.code,
    };
  }
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  record?: RequestRecord,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  if (record) record.status = code;
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError, record?: RequestRecord): void {
  const headers: Record<string, string> = {};
  if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.retryAfterSeconds);
  sendJson(res, err.code, err.toStatus(), record, headers);
}
