/**
 * What the commands that talk to a cluster share: their flags, the load of the cluster file into
 * the desired state, the one-line handling of cluster failures (exit 2, with `-o json` a stable
 * code), `--dry-run[=server|client]`, the plan against the live cluster, and how failures show
 * in reports.
 */
import { type Command, Option } from 'commander';
import { nodeCrypto } from '../builtin.ts';
import type { Decision } from '../cluster/decide.ts';
import { type Desired, desiredState } from '../cluster/desired.ts';
import { planCluster } from '../cluster/diff.ts';
import { errorCode } from '../cluster/errors.ts';
import type { Failure } from '../cluster/failure.ts';
import { ApiError, type ClusterClient, ClusterError } from '../cluster/types.ts';
import { hasErrors } from '../config/diagnostics.ts';
import type { ClusterConfig } from '../config/types.ts';
import { EXIT, type Io, printDiagnostics } from './context.ts';
import { loadClusterFile, readRenderInputs } from './io.ts';

export interface ClusterFlags {
  file?: string;
  kubeconfig?: string;
  context?: string;
  verbose?: boolean;
  requestTimeout?: string;
}

export type ReportFormat = 'text' | 'json' | 'yaml';

export function addClusterFlags(cmd: Command): Command {
  return cmd
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default $KUBECONFIG, ~/.kube/config, in-cluster service account)',
    )
    .option('--context <name>', 'kubeconfig context (default its current-context)')
    .option(
      '--request-timeout <duration>',
      'give up a request the API server does not answer within this long (tried twice), e.g. 15s',
      '15s',
    )
    .option(
      '-v, --verbose',
      'log the context and server in use, retries, and (apply, delete) every object written',
      false,
    );
}

/** The desired state a cluster command works with. */
export interface Ready {
  config: ClusterConfig;
  desired: Desired;
}

/**
 * Load, validate and build the desired state; prints diagnostics. Undefined when invalid:
 * the caller then exits 1 without having contacted the cluster.
 */
export function loadDesired(file: string | undefined, io: Io, allowDefault = true): Ready | undefined {
  const loaded = loadClusterFile(file, (line) => io.stderr(`${line}\n`), { stdin: io.stdin, allowDefault });
  printDiagnostics(io, loaded.diagnostics);
  if (!loaded.config || hasErrors(loaded.diagnostics)) return undefined;
  const desired = desiredState(loaded.config, readRenderInputs(loaded.config), (n) =>
    nodeCrypto().randomBytes(n),
  );
  printDiagnostics(io, desired.diagnostics);
  if (hasErrors(desired.diagnostics)) return undefined;
  return { config: loaded.config, desired };
}

/**
 * Cluster failures (unreachable, TLS, credentials, not an API server, a request refused) are
 * one line each and exit 2; with `-o json` their stable code is printed on stdout too. Anything
 * else is left to run() (internal error).
 */
export async function clusterAction(
  io: Io,
  setExit: (code: number) => void,
  body: () => Promise<number>,
  opts: { json?: boolean } = {},
): Promise<void> {
  try {
    setExit(await body());
  } catch (e) {
    if (e instanceof ClusterError || e instanceof ApiError) {
      io.stderr(`netpack: ${e.message}\n`);
      if (opts.json)
        io.stdout(`${JSON.stringify({ error: { code: errorCode(e), message: e.message } }, null, 2)}\n`);
      return setExit(EXIT.usage);
    }
    throw e;
  }
}

/** `--dry-run[=server|client]`, as kubectl: server (the default) sends with dryRun=All; client sends no writes. */
export function dryRunOption(server: string): Option {
  return new Option(
    '--dry-run [mode]',
    `server: ${server}; client: only say what would be done, nothing sent`,
  )
    .choices(['server', 'client'])
    .preset('server');
}

/** The plan against the live cluster, or undefined (said on stderr) when its state is unreadable. */
export async function planAgainst(
  client: ClusterClient,
  ready: Ready,
  io: Io,
  options: { allowDnsCacheRemoval?: boolean } = {},
): Promise<Decision | undefined> {
  const planned = await planCluster(client, ready.config, ready.desired, options);
  if ('decision' in planned) return planned.decision;
  io.stderr(
    `netpack: ${planned.stateProblem}; fix or delete it (netpack apply then rebuilds it from the live cluster)\n`,
  );
  return undefined;
}

/** A failure in `-o json|yaml` reports: the object, the server's words, the stable code. */
export function failureOutput(f: Failure): { object: string; message: string; code: string } {
  return { object: f.ref, message: f.message, code: f.code };
}
