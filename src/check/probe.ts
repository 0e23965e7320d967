/**
 * The probe: the program each `netpack check` pod runs (`node /probe/probe.cjs`), also
 * `netpack check probe` so that tests run it as a plain process. Node built-ins only: it is
 * bundled into one script that travels in a ConfigMap and runs in the public Node image.
 *
 * It serves, on one port:
 * - `GET /echo`: a small answer naming the probe (`PROBE_MAGIC node`);
 * - `GET /blob?bytes=N`: N bytes (the far end of a large download);
 * - `POST /sink`: reads the body, answers how many bytes came (the far end of a large upload);
 * - `GET /healthz`: the readiness probe;
 * - `GET /run?plan=BASE64URL(JSON RunPlan)`: runs the plan's tests from here against the other
 *   probes and answers a `ProbeAnswer` as JSON. netpack calls this through the API server's pod
 *   proxy, so the probe needs no Kubernetes API access and no service account token.
 */

import { Resolver } from 'node:dns/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import {
  type FailureCode,
  PROBE_MAGIC,
  type ProbeAnswer,
  type ProbeResult,
  type ProbeTest,
  type RunPlan,
} from './types.ts';

/** A download or upload larger than this is refused (a probe is not a load generator). */
const MAX_BLOB = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x6e);

export interface ProbeOptions {
  port: number;
  /** Address to listen on; all of them by default. */
  listen?: string;
  node: string;
}

/** Starts the probe's HTTP server; resolves once it listens. */
export function startProbe(opts: ProbeOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://probe');
    const text = (code: number, body: string, type = 'text/plain') => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/echo') return text(200, `${PROBE_MAGIC} ${opts.node}\n`);
    if (req.method === 'GET' && url.pathname === '/healthz') return text(200, 'ok\n');
    if (req.method === 'GET' && url.pathname === '/blob') {
      const bytes = Number(url.searchParams.get('bytes'));
      if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_BLOB) return text(400, 'bad bytes\n');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes });
      let left = bytes;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n)))
            return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.method === 'POST' && url.pathname === '/sink') {
      let got = 0;
      req.on('data', (c: Buffer) => {
        got += c.length;
      });
      req.on('end', () => text(200, `${got}\n`));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/run') {
      let plan: RunPlan;
      try {
        plan = parsePlan(url.searchParams.get('plan') ?? '');
      } catch (e) {
        return text(400, `bad plan: ${(e as Error).message}\n`);
      }
      void runPlan(plan).then((results) => {
        const answer: ProbeAnswer = { probe: PROBE_MAGIC, node: opts.node, mtus: interfaceMtus(), results };
        text(200, JSON.stringify(answer), 'application/json');
      });
      return;
    }
    text(404, 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.listen ?? '0.0.0.0', () => resolve(server));
  });
}

/** Decodes and checks a plan from the `plan` query parameter. */
export function parsePlan(encoded: string): RunPlan {
  const plan = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as RunPlan;
  if (
    typeof plan !== 'object' ||
    plan === null ||
    !Array.isArray(plan.tests) ||
    !(plan.testTimeoutMs > 0) ||
    !(plan.parallel > 0)
  )
    throw new Error('expected { testTimeoutMs, parallel, tests[] }');
  return plan;
}

export function encodePlan(plan: RunPlan): string {
  return Buffer.from(JSON.stringify(plan)).toString('base64url');
}

/** MTU of each interface but loopback, read from sysfs (empty when unreadable). */
function interfaceMtus(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const name of readdirSync('/sys/class/net')) {
      if (name === 'lo') continue;
      const mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
      if (Number.isInteger(mtu)) out[name] = mtu;
    }
  } catch {
    // No sysfs (not Linux, or a sandbox): the MTUs are then unknown, not an error.
  }
  return out;
}

/** Runs every test, `parallel` at a time; results in the plan's order. */
export async function runPlan(plan: RunPlan): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(plan.tests.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.tests.length) {
      const i = next++;
      results[i] = await runTest(plan.tests[i]!, plan.testTimeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.parallel, plan.tests.length) }, worker));
  return results;
}

async function runTest(test: ProbeTest, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const done = (outcome: Outcome): ProbeResult => ({
    id: test.id,
    ok: outcome.ok,
    ms: Math.round(performance.now() - started),
    ...(outcome.code ? { code: outcome.code } : {}),
    ...(outcome.detail ? { detail: outcome.detail } : {}),
  });
  try {
    switch (test.kind) {
      case 'small': {
        const r = await httpCall(test.host, test.port, 'GET', '/echo', 0, timeoutMs);
        if (!r.ok) return done(r);
        return done(r.body.startsWith(PROBE_MAGIC) ? { ok: true } : { ok: false, code: 'bad-answer' });
      }
      case 'large': {
        const down = await httpCall(test.host, test.port, 'GET', `/blob?bytes=${test.bytes}`, 0, timeoutMs);
        if (!down.ok) return done({ ...down, detail: `download: ${down.detail}` });
        if (down.received !== test.bytes)
          return done({
            ok: false,
            code: 'bad-answer',
            detail: `download: ${down.received} of ${test.bytes} bytes`,
          });
        const up = await httpCall(test.host, test.port, 'POST', '/sink', test.bytes, timeoutMs);
        if (!up.ok) return done({ ...up, detail: `upload: ${up.detail}` });
        if (up.body.trim() !== String(test.bytes))
          return done({
            ok: false,
            code: 'bad-answer',
            detail: `upload: the far end got ${up.body.trim()} bytes`,
          });
        return done({ ok: true });
      }
      case 'dns':
        return done(await lookup(test.server, test.port, test.name, test.expect, timeoutMs));
      case 'connect':
        return done(await tcpConnect(test.host, test.port, timeoutMs));
      default:
        return done({
          ok: false,
          code: 'error',
          detail: `unknown test kind ${(test as { kind: string }).kind}`,
        });
    }
  } catch (e) {
    return done({ ok: false, code: 'error', detail: (e as Error).message });
  }
}

interface Outcome {
  ok: boolean;
  code?: FailureCode;
  detail?: string;
}

function codeOf(e: NodeJS.ErrnoException): FailureCode {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'ENODATA':
      return 'not-found';
    default:
      return 'error';
  }
}

/** A transfer that keeps moving may take this many test timeouts in all before it is given up. */
export const TRANSFER_CAP = 4;

/**
 * One HTTP exchange. Tells "never connected" (`timeout`) from "connected, then the data stopped"
 * (`stalled`), which is what an MTU black hole looks like. The timeout counts from the last
 * progress (connect, bytes received, bytes handed to the kernel), so that a transfer that is slow
 * on a busy node is not taken for a stall; in all it may take TRANSFER_CAP timeouts.
 */
function httpCall(
  host: string,
  port: number,
  method: string,
  path: string,
  uploadBytes: number,
  timeoutMs: number,
): Promise<Outcome & { body: string; received: number }> {
  return new Promise((resolve) => {
    let connected = false;
    let received = 0;
    let sent = 0;
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(cap);
      req.destroy();
      resolve({ ...o, body: Buffer.concat(chunks).toString('utf8'), received });
    };
    const req = request(
      { host, port, method, path, agent: false, headers: { Connection: 'close' } },
      (res) => {
        res.on('data', (c: Buffer) => {
          received += c.length;
          if (chunks.length < 4) chunks.push(c);
          timer.refresh();
        });
        res.on('end', () =>
          finish(
            res.statusCode === 200
              ? { ok: true }
              : { ok: false, code: 'bad-answer', detail: `HTTP ${res.statusCode}` },
          ),
        );
        res.on('error', (e) => finish({ ok: false, code: codeOf(e), detail: e.message }));
      },
    );
    req.on('socket', (s) =>
      s.once('connect', () => {
        connected = true;
        timer.refresh();
      }),
    );
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, code: codeOf(e), detail: e.message }));
    const giveUp = () =>
      finish(
        connected
          ? {
              ok: false,
              code: 'stalled',
              detail:
                uploadBytes > 0
                  ? `stalled after sending ${Math.min(sent, uploadBytes)} of ${uploadBytes} bytes`
                  : `stalled after ${received} bytes`,
            }
          : { ok: false, code: 'timeout', detail: `no connection within ${timeoutMs}ms` },
      );
    const timer = setTimeout(giveUp, timeoutMs);
    const cap = setTimeout(giveUp, TRANSFER_CAP * timeoutMs);
    if (uploadBytes === 0) return void req.end();
    req.setHeader('Content-Length', uploadBytes);
    let left = uploadBytes;
    const pump = () => {
      while (left > 0 && !settled) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        const ok = req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n), () => {
          sent += n;
          if (!settled) timer.refresh();
        });
        if (!ok) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function lookup(
  server: string,
  port: number,
  name: string,
  expect: string | undefined,
  timeoutMs: number,
): Promise<Outcome> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([port === 53 ? server : `${server}:${port}`]);
  try {
    const addresses = await resolver.resolve4(name);
    if (expect && !addresses.includes(expect))
      return { ok: false, code: 'bad-answer', detail: `${name} is ${addresses.join(', ')}, not ${expect}` };
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, code: codeOf(err), detail: `${name} via ${server}: ${err.code ?? err.message}` };
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () => finish({ ok: false, code: 'timeout', detail: `no connection within ${timeoutMs}ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish({ ok: false, code: codeOf(e), detail: e.message }),
    );
  });
}

/**
 * The program's own command line (the bundled script and `netpack check probe`):
 * `--port N`, `--listen ADDRESS`, `--node NAME` (default $NODE_NAME, else the host name).
 * Stops on SIGTERM and SIGINT. Returns the exit code for bad arguments; otherwise runs on.
 */
export async function probeMain(argv: string[], log: (line: string) => void): Promise<number | undefined> {
  const opts: ProbeOptions = { port: 0, node: process.env.NODE_NAME ?? '' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--port' && value !== undefined && /^\d+$/.test(value)) opts.port = Number(value);
    else if (flag === '--listen' && value !== undefined) opts.listen = value;
    else if (flag === '--node' && value !== undefined) opts.node = value;
    else {
      log(
        `netpack probe: unknown or incomplete argument ${JSON.stringify(flag)} (expected --port N, --listen ADDRESS, --node NAME)`,
      );
      return 2;
    }
    i++;
  }
  if (!opts.node) opts.node = (await import('node:os')).hostname();
  let server: Server;
  try {
    server = await startProbe(opts);
  } catch (e) {
    log(`netpack probe: cannot listen on ${opts.listen ?? '0.0.0.0'}:${opts.port}: ${(e as Error).message}`);
    return 1;
  }
  const address = server.address();
  log(
    `netpack probe: node ${opts.node} listening on ${typeof address === 'object' && address ? `${address.address}:${address.port}` : address}`,
  );
  const stop = () => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await new Promise<void>((resolve) => server.once('close', () => resolve()));
  return 0;
}
