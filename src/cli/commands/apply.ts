import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { applyCluster, DEFAULT_CONCURRENCY, OUR_SELECTOR } from '../../cluster/apply.ts';
import { connect, parseDuration } from '../../cluster/connect.ts';
import { type Desired, desiredState } from '../../cluster/desired.ts';
import { errorCode } from '../../cluster/errors.ts';
import { acquireLock, holderIdentity } from '../../cluster/lock.ts';
import { formatPlan, formatRefusals, formatStaleSecrets } from '../../cluster/report.ts';
import { readSnapshot } from '../../cluster/snapshot.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';
import { ApiError, ClusterError, showRef, toRef } from '../../cluster/types.ts';
import { plainReporter, ttyReporter, waitForCrds, waitForRollout } from '../../cluster/wait.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import type { ClusterConfig } from '../../config/types.ts';
import { EXIT, type Io, printDiagnostics } from '../context.ts';
import { loadClusterFile, readRenderInputs, UsageError } from '../io.ts';

export interface ClusterFlags {
  file?: string;
  kubeconfig?: string;
  context?: string;
  verbose?: boolean;
  requestTimeout?: string;
}

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

/**
 * Load, validate and build the desired state; prints diagnostics. Undefined when invalid:
 * the caller then exits 1 without having contacted the cluster.
 */
export function loadDesired(
  file: string | undefined,
  io: Io,
): { config: ClusterConfig; desired: Desired } | undefined {
  const loaded = loadClusterFile(file, (line) => io.stderr(`${line}\n`));
  printDiagnostics(io, loaded.diagnostics);
  if (!loaded.config || hasErrors(loaded.diagnostics)) return undefined;
  const desired = desiredState(loaded.config, readRenderInputs(loaded.config), randomBytes);
  printDiagnostics(io, desired.diagnostics);
  if (hasErrors(desired.diagnostics)) return undefined;
  return { config: loaded.config, desired };
}

/** What to do about a server-side apply conflict. */
const CONFLICT_HINT =
  'another field manager (named above) changed fields that netpack applies; apply does not take them over on its own: undo that change, or run apply with --force to take the fields back (the other change is then lost)';

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

interface ApplyFlags extends ClusterFlags {
  dryRun: boolean;
  force: boolean;
  allowDnsCacheRemoval: boolean;
  adopt: boolean;
  wait: boolean;
  timeout: string;
  concurrency: string;
}

export function registerApply(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('apply')
      .description(
        'validate, render and server-side apply the network to the cluster, prune what was dropped, wait for the rollout',
      )
      .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
      .option('--dry-run', 'send everything with dryRun=All: the server checks it, nothing changes', false)
      .option(
        '--force',
        'take over fields another field manager owns (never bypasses refused changes)',
        false,
      )
      .option(
        '--allow-dns-cache-removal',
        'confirm turning node_local_dns_cache off on a cluster where it runs (set kubelet clusterDNS back first)',
        false,
      )
      .option(
        '--adopt',
        'take over objects netpack would create that exist without its label (e.g. a Pharos-made Weave): fields others set that netpack does not render are removed; see diff first',
        false,
      )
      .option('--no-wait', 'do not wait for DaemonSets and Deployments to roll out')
      .option('--timeout <duration>', 'how long to wait for CRDs and the rollout, e.g. 90s, 5m', '5m')
      .option('--concurrency <n>', 'parallel writes per phase', String(DEFAULT_CONCURRENCY)),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack apply -f cluster.yml
  netpack apply -f cluster.yml --dry-run
  netpack apply -f cluster.yml --context prod --timeout 10m
  netpack diff -f cluster.yml                 # a Pharos-made network: what adoption changes
  netpack apply -f cluster.yml --adopt

Refused, whatever the flags: changing network.provider, service_cidr, pod_network_cidr or
network.calico.datastore of a cluster that runs a network already. Refused unless
--allow-dns-cache-removal: turning node_local_dns_cache off while node-local-dns runs.
Another apply or delete running against the cluster holds its lock (Lease kube-system/netpack-lock):
apply then stops at once, naming the holder (exit 2).
Exit status: 0 applied (and rolled out), 1 invalid config, refused, failed or timed out, 2 usage,
another run holds the lock, or the cluster cannot be talked to (unreachable, TLS, credentials: one
line on stderr).`,
    )
    .action((opts: ApplyFlags) =>
      clusterAction(io, setExit, async () => {
        const timeoutMs = parseDuration(opts.timeout);
        if (timeoutMs === undefined)
          throw new UsageError(`--timeout must be a duration like 90s or 5m (got "${opts.timeout}")`);
        const concurrency = Number(opts.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1)
          throw new UsageError(`--concurrency must be a positive integer (got "${opts.concurrency}")`);
        const ready = loadDesired(opts.file, io);
        if (!ready) return EXIT.invalid;
        const { config, desired } = ready;
        const deadline = Date.now() + timeoutMs;
        const err = (line: string) => io.stderr(`${line}\n`);
        const client = await connect(opts, err);
        try {
          const report = await applyCluster(client, config, desired, {
            dryRun: opts.dryRun,
            force: opts.force,
            allowDnsCacheRemoval: opts.allowDnsCacheRemoval,
            adopt: opts.adopt,
            concurrency,
            deadline,
            log: opts.verbose ? (l) => err(`netpack: ${l}`) : () => {},
            lock: () => acquireLock(client, holderIdentity('apply')),
          });
          const d = report.decision;
          if (report.stopped) {
            if (d) for (const line of formatRefusals(d.refusals)) err(`netpack: ${line}`);
            for (const f of report.failures)
              err(`netpack: ${f.conflict ? 'conflict' : 'refused'}: ${f.ref}: ${f.message}`);
            if (report.failures.some((f) => f.conflict)) err(`netpack: ${CONFLICT_HINT}`);
            err(`netpack: ${report.stopped}`);
            return EXIT.invalid;
          }
          // Refused credentials or rights refuse every write alike: one line, as for reads.
          const denied = report.failures.filter((f) => f.denied);
          if (denied.length > 0 && denied.length === report.failures.length) {
            const more = denied.length > 1 ? ` (and ${denied.length - 1} more writes alike)` : '';
            err(
              `netpack: ${denied[0]!.ref}: ${denied[0]!.message}${more}; nothing was pruned and the state was not updated`,
            );
            return EXIT.usage;
          }
          if (opts.dryRun && d)
            for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges)) io.stdout(`${line}\n`);
          if (d) for (const line of formatStaleSecrets(d.secretsStale)) err(`netpack: warning: ${line}`);
          for (const line of d?.noEffect ?? []) err(`netpack: warning: ${line}`);
          for (const f of report.failures) err(`netpack: failed: ${f.ref}: ${f.message}`);
          const summary = `${report.created} created, ${report.updated} configured, ${report.adopted ? `${report.adopted} adopted, ` : ''}${report.unchanged} unchanged, ${report.pruned} pruned${report.secretsCreated.length ? `, ${report.secretsCreated.length} secret created` : ''}`;
          if (report.failures.length > 0) {
            const conflicts = report.failures.some((f) => f.conflict);
            if (conflicts) err(`netpack: ${CONFLICT_HINT}`);
            err(
              `netpack: apply incomplete (${summary}); nothing was pruned and the state was not updated; ${conflicts && report.failures.every((f) => f.conflict) ? 'see above' : 'run it again'}`,
            );
            return EXIT.invalid;
          }
          io.stdout(`${opts.dryRun ? 'dry run, nothing changed: would be ' : 'applied: '}${summary}\n`);
          if (opts.dryRun || !opts.wait) return EXIT.ok;
          try {
            await waitForCrds(client, report.crdsPending, deadline);
          } catch (e) {
            err(`netpack: ${(e as Error).message} (after ${opts.timeout})`);
            return EXIT.invalid;
          }
          const workloads = desired.objects
            .filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment')
            .map(toRef);
          const reporter = io.isTty ? ttyReporter((s) => io.stdout(s)) : plainReporter((s) => io.stdout(s));
          const rollout = await waitForRollout(client, workloads, deadline, reporter, OUR_SELECTOR);
          if (rollout.done) {
            io.stdout('rolled out\n');
            return EXIT.ok;
          }
          const late = rollout.progress.filter((p) => !p.done).map((p) => showRef(p.ref));
          err(`netpack: timed out after ${opts.timeout} waiting for ${late.join(', ')}`);
          const status = clusterStatus(await readSnapshot(client, config.network));
          err(formatStatus({ ...status, checks: status.checks.filter((c) => !c.ok) }).trimEnd());
          return EXIT.invalid;
        } finally {
          client.close();
        }
      }),
    );
}
