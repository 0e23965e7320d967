/**
 * Watches: the server's stream of JSON lines read into events (`WatchLines`, pure: chunks in,
 * events out, an ERROR 410 remembered as "expired"), and one watch request on the connection
 * that ends as `closed`, `expired` or `aborted`, never with an exception.
 */
import type { KubeObject, WatchEnd, WatchEvent } from '../types.ts';
import type { Connection } from './connection.ts';

/** Splits a watch stream into events; each object gets `apiVersion`/`kind` (built-in lists omit them). */
export class WatchLines {
  private buf = '';
  /** An ERROR event with code 410 came: the resourceVersion is too old, list again. */
  expired = false;

  constructor(
    private readonly apiVersion: string,
    private readonly kind: string,
  ) {}

  /** The events complete in `chunk` (with what was left of earlier chunks); lines that are not JSON are skipped. */
  feed(chunk: string): WatchEvent[] {
    this.buf += chunk;
    const events: WatchEvent[] = [];
    for (let nl = this.buf.indexOf('\n'); nl !== -1; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      const ev = line ? this.event(line) : undefined;
      if (ev) events.push(ev);
    }
    return events;
  }

  private event(line: string): WatchEvent | undefined {
    let ev: WatchEvent;
    try {
      ev = JSON.parse(line) as WatchEvent;
    } catch {
      return undefined;
    }
    if (ev.type === 'ERROR') {
      if ((ev.object as unknown as { code?: number } | undefined)?.code === 410) this.expired = true;
      return undefined;
    }
    return {
      type: ev.type,
      object: { ...ev.object, apiVersion: this.apiVersion, kind: this.kind } as KubeObject,
    };
  }

  get end(): WatchEnd {
    return this.expired ? 'expired' : 'closed';
  }
}

/**
 * One watch request at `path` (the collection with `watch=true`): events to `onEvent` until the
 * server or the network ends it, or `signal` aborts it. A 410 answer is `expired`; any other
 * failure answer is `closed` (a 401 makes the next request run the exec plugin again).
 */
export async function openWatch(
  connection: Connection,
  path: string,
  lines: WatchLines,
  onEvent: (event: WatchEvent) => void,
  signal?: AbortSignal,
): Promise<WatchEnd> {
  const auth = await connection.authHeaders();
  return new Promise<WatchEnd>((resolve) => {
    if (signal?.aborted) return resolve('aborted');
    let settled = false;
    const done = (end: WatchEnd) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(end);
    };
    const req = connection.start(auth, { method: 'GET', path, timeoutMs: 0 }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300) {
        res.resume();
        // The exec plugin's credential was refused: the next watch runs it again.
        if (status === 401) connection.invalidateCredential();
        return done(status === 410 ? 'expired' : 'closed');
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const ev of lines.feed(chunk)) onEvent(ev);
      });
      for (const event of ['end', 'error', 'close']) res.on(event, () => done(lines.end));
    });
    const onAbort = () => {
      req.destroy();
      done('aborted');
    };
    signal?.addEventListener('abort', onAbort);
    req.on('error', () => done(signal?.aborted ? 'aborted' : 'closed'));
    req.end();
  });
}
