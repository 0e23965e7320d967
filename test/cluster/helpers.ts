// Shared set-up of the cluster tests: a fake API server, cluster files in a temp dir, and the
// netpack CLI run in-process with captured output.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FakeApiServer,
  type FakeApiServerOptions,
  startFakeApiServer,
} from '../fake-apiserver/index.ts';
import { type CliResult, runCli } from '../support/cli.ts';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export type Cli = CliResult;

export const netpack = (argv: string[]): Promise<Cli> => runCli(...argv);

/** Pod network matching the fake server's node ranges (10.244.N.0/24). */
export const POD_CIDR = '10.244.0.0/16';

export function calicoYaml(extra = ''): string {
  return `network:\n  provider: calico\n  pod_network_cidr: ${POD_CIDR}\n${extra}`;
}

export interface Env {
  server: FakeApiServer;
  dir: string;
  /** Writes `text` to a cluster file and returns its path. */
  file(name: string, text: string): string;
  /** Runs netpack against the server (adds --kubeconfig). */
  np(...argv: string[]): Promise<Cli>;
  close(): Promise<void>;
}

export async function setup(opts: FakeApiServerOptions = {}): Promise<Env> {
  const server = await startFakeApiServer({ nodes: 3, crdEstablishDelayMs: 5, ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'netpack-cluster-test-'));
  return {
    server,
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    np: (...argv) => netpack([...argv, '--kubeconfig', server.kubeconfigPath]),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every object netpack labelled, as `Kind/namespace/name`, sorted. */
export function ours(server: FakeApiServer): string[] {
  return server.store
    .all()
    .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'netpack')
    .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)
    .sort();
}

/** A fake cluster with the Calico network applied from `cluster.yml` (asserted), for tests that start from there. */
export async function setupApplied(): Promise<{ env: Env; file: string }> {
  const env = await setup();
  const file = env.file('cluster.yml', calicoYaml());
  const r = await env.np('apply', '-f', file, '--no-wait');
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
  return { env, file };
}
