// The pod proxy (`/api/v1/namespaces/NS/pods/NAME[:PORT]/proxy/PATH`): like kube-apiserver, it
// forwards the request to the pod's `status.podIP` and streams the answer back; a pod without an
// IP, or one that does not answer, is a 503 with the server's wording.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, type RequestRecord } from './http.ts';
import type { Store } from './store.ts';

export const POD_PROXY_RE = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/proxy(\/.*)?$/;

/** How the server opens a connection to a pod address (tests may route it into a network namespace). */
export type PodConnect = (ip: string, port: number) => Socket;

export function handlePodProxy(
  req: IncomingMessage,
  res: ServerResponse,
  match: RegExpExecArray,
  search: string,
  body: string,
  store: Store,
  record: RequestRecord,
  connect?: PodConnect,
): Promise<void> {
  const [, namespace, target, rest] = match;
  const parts = decodeURIComponent(target!).split(':');
  // NAME, NAME:PORT or SCHEME:NAME:PORT, as kube-apiserver reads it.
  const [name, port] =
    parts.length === 3
      ? [parts[1]!, parts[2]!]
      : parts.length === 2
        ? [parts[0]!, parts[1]!]
        : [parts[0]!, '80'];
  const pod = store.get(store.registry.byKind('v1', 'Pod')!, namespace, name);
  if (!pod) throw new ApiError(404, `pods "${name}" not found`, 'NotFound', { name, kind: 'pods' });
  const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
  if (!ip) throw new ApiError(503, `address not allowed: pod ${name} has no IP yet`, 'ServiceUnavailable');
  const headers = { ...req.headers };
  delete headers.host;
  delete headers.authorization;
  return new Promise((resolve) => {
    const upstream = request(
      {
        host: ip,
        port: Number(port),
        method: req.method,
        path: (rest ?? '/') + search,
        headers,
        ...(connect ? { createConnection: () => connect(ip, Number(port)) } : {}),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        record.status = answer.statusCode ?? 502;
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) res.destroy();
      else {
        const err = new ApiError(
          503,
          `error trying to reach service: dial tcp ${ip}:${port}: ${e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message}`,
          'ServiceUnavailable',
        );
        const text = JSON.stringify(err.toStatus());
        res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        record.status = 503;
        res.end(text);
      }
      resolve();
    });
    // The client gave up (its own timeout, or Ctrl-C): so does the proxy.
    res.on('close', () => upstream.destroy());
    upstream.end(body === '' ? undefined : body);
  });
}
