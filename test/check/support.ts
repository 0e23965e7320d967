// Shared set-up of the check tests: the bundled probe script, and probes as in-process servers
// on loopback addresses (each file its own 127.N range, so files running side by side never share
// an address).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProbe } from '../../src/check/probe.ts';
import type { FakeApiServer } from '../fake-apiserver/index.ts';
import { fakeKubelet, type Kubelet, type ProbeSpec } from './kubelet.ts';

export const repoRoot = new URL('../../', import.meta.url).pathname;

let built: Promise<string> | undefined;

/** Builds dist-like `netpack-probe.cjs` once per process (scripts/probe-bundle.mjs) and returns its path. */
export function probeScriptPath(): Promise<string> {
  built ??= (async () => {
    const { bundleProbe } = (await import(join(repoRoot, 'scripts/probe-bundle.mjs'))) as {
      bundleProbe(outfile: string, root: string): Promise<unknown>;
    };
    const out = join(mkdtempSync(join(tmpdir(), 'netpack-probe-')), 'netpack-probe.cjs');
    await bundleProbe(out, repoRoot);
    process.env.NETPACK_PROBE_SCRIPT = out;
    return out;
  })();
  return built;
}

export async function probeScript(): Promise<string> {
  return readFileSync(await probeScriptPath(), 'utf8');
}

export interface LoopbackOptions {
  /** Second octet of this file's range: pod probes on 127.R.1.N, host probes on 127.R.2.N. */
  range: number;
  /** Nodes whose probe pod stays Pending. */
  pending?: string[];
  /** Nodes whose host-network probe stays Pending (as Pod Security would leave it). */
  pendingHost?: string[];
  /** Nodes whose pod is reported ready but where nothing listens. */
  silent?: string[];
  /** Nodes whose probe accepts connections and never answers. */
  hanging?: string[];
}

const nodeNumber = (node: string) => Number(node.replace(/^node-/, ''));

/** Probes as servers in this process; the fake kubelet starts and stops them. */
export function loopbackProbes(server: FakeApiServer, opts: LoopbackOptions): Kubelet {
  const servers = new Map<string, Server>();
  return fakeKubelet(server, {
    async start(spec: ProbeSpec) {
      if (opts.pending?.includes(spec.node)) return undefined;
      if (spec.hostNetwork && opts.pendingHost?.includes(spec.node)) return undefined;
      const ip = `127.${opts.range}.${spec.hostNetwork ? 2 : 1}.${nodeNumber(spec.node)}`;
      if (opts.silent?.includes(spec.node)) return ip;
      if (opts.hanging?.includes(spec.node)) {
        const { createServer } = await import('node:http');
        const s = createServer(() => {});
        await new Promise<void>((r) => s.listen(spec.port, ip, () => r()));
        servers.set(spec.pod, s);
        return ip;
      }
      servers.set(spec.pod, await startProbe({ port: spec.port, listen: ip, node: spec.node }));
      return ip;
    },
    async stop(spec: ProbeSpec) {
      const s = servers.get(spec.pod);
      servers.delete(spec.pod);
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
  });
}

/** The objects in namespace netpack-check, as Kind/name, sorted. */
export function leftovers(server: FakeApiServer): string[] {
  return server.store
    .all()
    .filter(
      (o) =>
        o.metadata.namespace === 'netpack-check' ||
        (o.kind === 'Namespace' && o.metadata.name === 'netpack-check'),
    )
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first match of `pattern` in stderr (rejects if the process ends first). */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** The exit code (-1 when a signal ended it). */
  exited: Promise<number>;
  stderr(): string;
}

/** The netpack CLI from the sources as a process of its own (for signals and for killing it). */
export function spawnCli(...argv: string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...argv], {
    cwd: repoRoot,
    env: { ...process.env },
  });
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return {
    child,
    exited,
    stderr: () => stderr,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const look = () => {
          const m = pattern.exec(stderr);
          if (!m) return;
          listeners.delete(look);
          resolve(m);
        };
        listeners.add(look);
        look();
        void exited.then(() => reject(new Error(`the process ended before ${pattern}: ${stderr}`)));
      }),
  };
}
