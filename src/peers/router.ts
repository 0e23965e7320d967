/**
 * The local Weave router's HTTP API, as launch.sh exposes it on 127.0.0.1:6784 (WEAVE_HTTP_ADDR).
 */

export const DEFAULT_ROUTER_URL = 'http://127.0.0.1:6784';

export interface RouterStatus {
  /** The `Targets:` count of `GET /status` (connection targets the router keeps), when printed. */
  targets?: number;
}

/** What the side-car needs from the router; faked in tests. */
export interface WeaveRouter {
  /** Replaces the router's connection targets with `peers`. Throws on failure. */
  connect(peers: readonly string[]): Promise<void>;
  /** `GET /status`; throws when the router does not answer 200. */
  status(): Promise<RouterStatus>;
  /**
   * `GET /status/targets`: the router's connection targets, exactly as they were posted (one per
   * line; the router keeps the strings it was given). Undefined when the router does not serve it.
   */
  targets(): Promise<string[] | undefined>;
}

/** The lines of `GET /status/targets`. */
export function parseRouterTargets(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The body of `POST /connect`: `peer=a&peer=b&replace=true`, form-encoded. */
export function connectBody(peers: readonly string[]): string {
  const form = new URLSearchParams();
  for (const p of peers) form.append('peer', p);
  form.append('replace', 'true');
  return form.toString();
}

/** Reads the `Targets: N` line of the router's status text. */
export function parseRouterStatus(text: string): RouterStatus {
  const m = /^\s*Targets:\s*(\d+)\s*$/m.exec(text);
  return m ? { targets: Number(m[1]) } : {};
}

/**
 * fetch's own error says only "fetch failed"; the reason (refused, timed out) is its cause.
 * Rethrown with the request and the router's address, so a log line says what went wrong.
 */
async function call(what: string, base: string, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new Error(`${what}: the Weave router at ${base} did not answer (${why})`);
  }
}

/** The router over HTTP (Node's fetch). */
export function httpWeaveRouter(baseUrl = DEFAULT_ROUTER_URL, timeoutMs = 5000): WeaveRouter {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async connect(peers) {
      const res = await call('POST /connect', base, () =>
        fetch(`${base}/connect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: connectBody(peers),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      const text = await res.text();
      if (!res.ok) throw new Error(`POST /connect: HTTP ${res.status} ${text.trim().slice(0, 200)}`);
    },
    async status() {
      const res = await call('GET /status', base, () =>
        fetch(`${base}/status`, { signal: AbortSignal.timeout(timeoutMs) }),
      );
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /status: HTTP ${res.status}`);
      return parseRouterStatus(text);
    },
    async targets() {
      const res = await call('GET /status/targets', base, () =>
        fetch(`${base}/status/targets`, { signal: AbortSignal.timeout(timeoutMs) }),
      );
      const text = await res.text();
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`GET /status/targets: HTTP ${res.status}`);
      return parseRouterTargets(text);
    },
  };
}
