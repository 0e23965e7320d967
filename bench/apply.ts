/**
 * Apply benchmark: the Calico render (~45 objects) applied to a fresh fake API server by
 * `netpack apply` and by `kubectl apply --server-side -f` (run twice, as a real cluster needs:
 * the IPPool's kind exists only once its CRD is Established), each as a CLI process with
 * wall time and request counts, plus netpack's in-process library time. Aim: netpack <= half.
 *
 * `node --import tsx bench/apply.ts` runs it alone and merges the figures into
 * bench/results.json; `bench/run.ts` calls `benchApply()`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCluster } from '../src/cluster/apply.ts';
import { createClusterClient } from '../src/cluster/client.ts';
import { desiredState } from '../src/cluster/desired.ts';
import { loadKubeConfig } from '../src/cluster/kubeconfig.ts';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import { renderCluster } from '../src/render/index.ts';
import { toYamlStream } from '../src/render/serialize.ts';
import { type FakeApiServer, startFakeApiServer } from '../test/fake-apiserver/index.ts';
import { recordResults } from './results-file.ts';
import { benchEnv, benchEnvDescription, median } from './stats.ts';

const root = new URL('../', import.meta.url).pathname;
const POD_CIDR = '10.244.0.0/16';
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const TRIALS = 9;

function counts(server: FakeApiServer) {
  return { requests: server.requests.length, writes: server.writes().length };
}

/** The CLI as shipped (dist/netpack.cjs, built by scripts/bundle.mjs; `npm run bench` builds it first). */
function shippedCli(): string {
  const cli = join(root, 'dist', 'netpack.cjs');
  if (!existsSync(cli)) {
    const r = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('building dist/netpack.cjs failed');
  }
  return cli;
}

/** Runs a process (asynchronously: the fake server lives in this process) and times it. */
function timed(
  cmd: string,
  args: string[],
): Promise<{ ms: number; code: number | null; stderr: string; startedAt: number }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: root, env: benchEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) =>
      resolve({ ms: performance.now() - t, code: -1, stderr: String(e), startedAt: t }),
    );
    child.on('close', (code) => resolve({ ms: performance.now() - t, code, stderr, startedAt: t }));
  });
}

export async function benchApply(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'netpack-bench-apply-'));
  try {
    const config = defaultClusterConfig();
    config.network.provider = 'calico';
    config.network.pod_network_cidr = POD_CIDR;
    const { objects } = renderCluster(config, {}, { includeSecrets: false });
    const manifest = join(dir, 'calico.yaml');
    writeFileSync(manifest, toYamlStream(objects));
    const clusterFile = join(dir, 'cluster.yml');
    writeFileSync(clusterFile, `network:\n  provider: calico\n  pod_network_cidr: ${POD_CIDR}\n`);
    const serverOpts = { nodes: 3, crdEstablishDelayMs: 50 };

    // Each side runs on a fresh fake server per trial, kubectl then netpack; the ratio is the
    // median of the per-trial ratios (the two sides of a trial run seconds apart, so a machine
    // that slows down or speeds up between trials moves both) and the times are medians of
    // TRIALS, so one slow process start on a busy machine does not decide anything.
    const trial = async () => {
      // kubectl: apply, and again for what needed the CRDs (exit 1 the first time, as on a real cluster).
      const k = await startFakeApiServer(serverOpts);
      const kArgs = ['apply', '--server-side', '-f', manifest, '--kubeconfig', k.kubeconfigPath];
      let kubectlMs = 0;
      let kubectlRuns = 0;
      let kubectlOk = false;
      // From the process start to the first request the server sees (start-up, kubeconfig, discovery's first ask).
      let kubectlFirstMs = 0;
      for (; kubectlRuns < 4 && !kubectlOk; ) {
        const r = await timed(KUBECTL, kArgs);
        if (kubectlRuns === 0) kubectlFirstMs = k.requests[0]!.startedAt - r.startedAt;
        kubectlRuns++;
        kubectlMs += r.ms;
        kubectlOk = r.code === 0;
        if (r.code !== 0 && !/no matches for kind|ensure CRDs are installed/.test(r.stderr)) {
          throw new Error(`kubectl failed: ${r.stderr.slice(0, 400)}`);
        }
      }
      const kubectl = {
        wall_ms: Math.round(kubectlMs),
        first_request_ms: Math.round(kubectlFirstMs),
        runs: kubectlRuns,
        ...counts(k),
        objects: k.store
          .all()
          .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'netpack').length,
      };
      await k.close();

      // netpack CLI (bundled), no wait: kubectl does not wait either.
      const cli = shippedCli();
      const n = await startFakeApiServer(serverOpts);
      const applyArgs = [cli, 'apply', '-f', clusterFile, '--kubeconfig', n.kubeconfigPath, '--no-wait'];
      const r = await timed(process.execPath, applyArgs);
      if (r.code !== 0) throw new Error(`netpack apply failed: ${r.stderr.slice(0, 400)}`);
      const netpack = {
        wall_ms: Math.round(r.ms),
        first_request_ms: Math.round(n.requests[0]!.startedAt - r.startedAt),
        ...counts(n),
        objects:
          n.store.all().filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'netpack')
            .length - 1,
      };
      const before = counts(n);
      const again = await timed(process.execPath, applyArgs);
      const reapply = {
        wall_ms: Math.round(again.ms),
        requests: n.requests.length - before.requests,
        writes: n.writes().length - before.writes,
      };
      await n.close();

      // netpack as a library (client-node already loaded): the apply itself.
      const lib = await startFakeApiServer(serverOpts);
      const { kc } = await loadKubeConfig({ kubeconfig: lib.kubeconfigPath });
      const client = await createClusterClient(kc);
      const t = performance.now();
      await applyCluster(client, config, desiredState(config, {}, randomBytes), {
        dryRun: false,
        force: false,
        deadline: Date.now() + 30_000,
        log: () => {},
      });
      const libraryMs = Math.round(performance.now() - t);
      client.close();
      await lib.close();
      return { kubectl, netpack, reapply, libraryMs };
    };
    const trials: Awaited<ReturnType<typeof trial>>[] = [];
    for (let i = 0; i < TRIALS; i++) trials.push(await trial());
    const med = (pick: (t: (typeof trials)[number]) => number) => median(trials.map(pick));
    const first = trials[0]!;
    const kubectl = {
      ...first.kubectl,
      wall_ms: med((t) => t.kubectl.wall_ms),
      first_request_ms: med((t) => t.kubectl.first_request_ms),
    };
    const netpack = {
      ...first.netpack,
      wall_ms: med((t) => t.netpack.wall_ms),
      first_request_ms: med((t) => t.netpack.first_request_ms),
    };
    const reapply = { ...first.reapply, wall_ms: med((t) => t.reapply.wall_ms) };
    const libraryMs = med((t) => t.libraryMs);
    const ratios = trials.map((t) => t.netpack.wall_ms / t.kubectl.wall_ms).sort((a, b) => a - b);
    const ratio = Number(median(ratios).toFixed(3));
    const spread = [ratios[0]!, ratios.at(-1)!].map((r) => Number(r.toFixed(3)));
    const figures = {
      objects: objects.length,
      trials: TRIALS,
      environment: benchEnvDescription(),
      kubectl,
      netpack_cli: netpack,
      netpack_cli_reapply: reapply,
      netpack_library_ms: libraryMs,
      ratio_netpack_to_kubectl: ratio,
      ratio_min_max: spread,
      aim: 'netpack <= 0.5 x kubectl',
      aim_met: ratio <= 0.5,
      first_request_gap_ms: netpack.first_request_ms - kubectl.first_request_ms,
      first_request_aim: 'netpack within 50 ms of kubectl',
      first_request_aim_met: netpack.first_request_ms - kubectl.first_request_ms <= 50,
    };
    console.log(
      `apply of ${objects.length} Calico objects to the fake API server (median of ${TRIALS} trials; environment: ${figures.environment}):`,
    );
    console.log(
      `  kubectl apply --server-side: ${kubectl.wall_ms} ms over ${kubectl.runs} runs, ${kubectl.requests} requests, ${kubectl.writes} writes`,
    );
    console.log(
      `  netpack apply (bundled CLI):  ${netpack.wall_ms} ms, ${netpack.requests} requests, ${netpack.writes} writes`,
    );
    console.log(
      `  netpack re-apply:             ${reapply.wall_ms} ms, ${reapply.requests} requests, ${reapply.writes} writes`,
    );
    console.log(`  netpack library (in-process): ${libraryMs} ms`);
    console.log(
      `  first request after start: kubectl ${kubectl.first_request_ms} ms, netpack ${netpack.first_request_ms} ms (aim: within 50 ms)`,
    );
    console.log(
      `  ratio netpack/kubectl: ${ratio}, median of ${TRIALS} trials (from ${spread[0]} to ${spread[1]}; aim <= 0.5: ${ratio <= 0.5 ? 'met' : 'NOT met'})`,
    );
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  recordResults('apply', await benchApply());
}
