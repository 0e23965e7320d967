import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { hasErrors } from '../../config/diagnostics.ts';
import type { ClusterConfig } from '../../config/types.ts';
import { type ClusterMember, checkClusterSet, remoteSubnets } from '../../multicluster/index.ts';
import { renderCluster } from '../../render/index.ts';
import { outDirFiles, toJsonList, toYamlStream } from '../../render/serialize.ts';
import type { RenderResult } from '../../render/types.ts';
import { EXIT, type Io, outputOption, printDiagnostics } from '../context.ts';
import { type Loaded, loadClusterFile, readRenderInputs, UsageError } from '../io.ts';
import { clusterMember, repeatedFile } from './validate.ts';

/** Loads, checks and renders; prints diagnostics. Undefined when the config is invalid. */
export function loadAndRender(
  file: string | undefined,
  io: Io,
  includeSecrets: boolean,
  peerFiles: string[] = [],
): { loaded: Loaded; result: RenderResult } | undefined {
  const loaded = loadClusterFile(file, (line) => io.stderr(`${line}\n`), { stdin: io.stdin });
  printDiagnostics(io, loaded.diagnostics);
  if (!loaded.config) return undefined;
  const config = peerFiles.length > 0 ? withPeerClusters(loaded, peerFiles, io) : loaded.config;
  if (!config) return undefined;
  const result = renderCluster(config, readRenderInputs(config), { includeSecrets });
  printDiagnostics(io, result.diagnostics);
  if (hasErrors(result.diagnostics)) return undefined;
  return { loaded, result };
}

/**
 * `loaded`'s config with the peer clusters' allocation subnets added to weave.remote_subnets,
 * after checking the clusters as one set. Undefined (diagnostics printed) when that fails.
 */
function withPeerClusters(loaded: Loaded, peerFiles: string[], io: Io): ClusterConfig | undefined {
  const config = loaded.config!;
  if (config.network.provider !== 'weave')
    throw new UsageError('--peer-cluster needs network.provider: weave');
  const twice = repeatedFile([loaded.file, ...peerFiles]);
  if (twice)
    throw new UsageError(`${twice} is given twice (-f and --peer-cluster); give each cluster file once`);
  const peers = peerFiles.map((f) => loadClusterFile(f, (line) => io.stderr(`${line}\n`)));
  for (const p of peers) printDiagnostics(io, p.diagnostics);
  if (peers.some((p) => !p.config)) return undefined;
  const members = [loaded, ...peers].map(clusterMember).filter((m): m is ClusterMember => m !== undefined);
  const setDiagnostics = checkClusterSet(members);
  const { subnets, diagnostics } = remoteSubnets(
    config,
    peers.map((p) => ({ file: p.file, config: p.config! })),
  );
  printDiagnostics(io, [...setDiagnostics, ...diagnostics]);
  if (hasErrors(setDiagnostics) || hasErrors(diagnostics)) return undefined;
  return {
    ...config,
    network: { ...config.network, weave: { ...config.network.weave, remote_subnets: subnets } },
  };
}

export function registerRender(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('render')
    .description('print the Kubernetes objects of the cluster network (nothing is sent anywhere)')
    .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
    .addOption(outputOption('yaml (multi-document) or json (a v1 List)', ['yaml', 'json']))
    .option('--out-dir <dir>', 'write one file per object, named in apply order')
    .option(
      '--peer-cluster <path...>',
      'other clusters of a shared Weave pod network: route their subnets here',
    )
    .option('--include-secrets', 'include Secrets whose values come from files (off: never printed)', false)
    .addHelpText(
      'after',
      `
Examples:
  netpack render                          # the built-in default (Weave Net)
  netpack render -f cluster.yml > network.yaml     # to review or keep; install with netpack apply
  netpack render -f cluster.yml -o json | jq '.items[].kind'
  netpack render -f cluster.yml --out-dir manifests/
  netpack render -f a.yml --peer-cluster b.yml     # adds DaemonSet weave-remote-routes

Install with netpack apply, not by piping render into kubectl apply: on a fresh cluster that fails
for Calico (its IPPool is sent before its CRD is Established) and leaves Weave waiting for Secret
weave-passwd, which render leaves out; apply orders, waits and creates the Secret.`,
    )
    .action(
      (opts: {
        file?: string;
        output: string;
        outDir?: string;
        includeSecrets: boolean;
        peerCluster?: string[];
      }) => {
        const rendered = loadAndRender(opts.file, io, opts.includeSecrets, opts.peerCluster);
        if (!rendered) return setExit(EXIT.invalid);
        const { objects, pendingSecrets } = rendered.result;
        for (const s of pendingSecrets) {
          io.stderr(
            `netpack: Secret ${s.namespace}/${s.name} is not printed; apply creates it from ${s.source}\n`,
          );
        }
        if (opts.outDir) {
          mkdirSync(opts.outDir, { recursive: true });
          // Stale files from an earlier render would be applied too: clear ours first.
          for (const f of readdirSync(opts.outDir))
            if (/^\d{3,}-.*\.yaml$/.test(f)) rmSync(join(opts.outDir, f));
          const files = outDirFiles(objects);
          for (const f of files) writeFileSync(join(opts.outDir, f.name), f.content);
          io.stderr(`netpack: wrote ${files.length} files to ${opts.outDir}\n`);
        } else {
          io.stdout(opts.output === 'json' ? toJsonList(objects) : toYamlStream(objects));
        }
        setExit(EXIT.ok);
      },
    );
}
