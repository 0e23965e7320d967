import { randomBytes } from 'node:crypto';
import { type Command, Option } from 'commander';
import {
  applyCluster,
  DEFAULT_CONCURRENCY,
  type Decision,
  decide,
  OUR_SELECTOR,
  readCluster,
} from '../../cluster/apply.ts';
import { connect, parseDuration } from '../../cluster/connect.ts';
import { type Desired, desiredState } from '../../cluster/desired.ts';
import { errorCode } from '../../cluster/errors.ts';
import { acquireLock, holderIdentity } from '../../cluster/lock.ts';
import {
  formatPlan,
  formatRefusals,
  formatStaleSecrets,
  type PlanReport,
  planReport,
} from '../../cluster/report.ts';
import { readSnapshot } from '../../cluster/snapshot.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';
import { ApiError, type ClusterClient, ClusterError, showRef, toRef } from '../../cluster/types.ts';
import {
  plainReporter,
  type RolloutReporter,
  ttyReporter,
  waitForCrds,
  waitForRollout,
} from '../../cluster/wait.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import type { ClusterConfig } from '../../config/types.ts';
import { EXIT, type Io, outputOption, printDiagnostics, printReport } from '../context.ts';
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
  allowDefault = true,
): { config: ClusterConfig; desired: Desired } | undefined {
  const loaded = loadClusterFile(file, (line) => io.stderr(`${line}\n`), { stdin: io.stdin, allowDefault });
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
  ready: { config: ClusterConfig; desired: Desired },
  io: Io,
  options: Parameters<typeof decide>[3] = {},
): Promise<Decision | undefined> {
  const view = await readCluster(client, ready.desired);
  if (!view.stateProblem) return decide(ready.config, ready.desired, view, options);
  io.stderr(
    `netpack: ${view.stateProblem}; fix or delete it (netpack apply then rebuilds it from the live cluster)\n`,
  );
  return undefined;
}

export type ReportFormat = 'text' | 'json' | 'yaml';

/** What apply did, for `-o json|yaml` (keys always present, in this order). */
interface ApplyOutput {
  dryRun: 'server' | 'client' | null;
  result: 'applied' | 'rolled-out' | 'refused' | 'incomplete' | 'timed-out';
  created: number;
  configured: number;
  adopted: number;
  unchanged: number;
  pruned: number;
  secretsCreated: string[];
  failures: { object: string; message: string; conflict: boolean }[];
  plan: PlanReport | null;
  rollout: { object: string; updated: number; ready: number; desired: number; done: boolean }[] | null;
}

interface ApplyFlags extends ClusterFlags {
  dryRun?: 'server' | 'client';
  default: boolean;
  force: boolean;
  allowDnsCacheRemoval: boolean;
  adopt: boolean;
  wait: boolean;
  timeout: string;
  concurrency: string;
  output: ReportFormat;
}

/** Progress on stderr: redrawn on a terminal, a line per change elsewhere (pipes, logs, TERM=dumb). */
function progressReporter(io: Io, start: number): RolloutReporter {
  const write = (s: string) => io.stderr(s);
  return io.stderrTty ? ttyReporter(write, { start, columns: io.columns }) : plainReporter(write, { start });
}

export function registerApply(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('apply')
      .description(
        'validate, render and server-side apply the network to the cluster, prune what was dropped, wait for the rollout',
      )
      .option('-f, --file <path>', 'cluster file, - for standard input (default ./cluster.yml)')
      .option(
        '--default',
        'apply the built-in default (Weave Net) when there is no -f and no ./cluster.yml',
        false,
      )
      .addOption(dryRunOption('send everything with dryRun=All: the server checks it, nothing changes'))
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
      .option('--concurrency <n>', 'parallel writes per phase', String(DEFAULT_CONCURRENCY))
      .addOption(
        outputOption('the report: text, json or yaml (progress goes to stderr)', ['text', 'json', 'yaml']),
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack apply -f cluster.yml
  netpack apply -f cluster.yml --dry-run              # the server checks every write, nothing changes
  netpack apply -f cluster.yml --dry-run=client -o json
  envsubst < cluster.yml.tpl | netpack apply -f -
  netpack apply -f cluster.yml --context prod --timeout 10m
  netpack diff -f cluster.yml                 # a Pharos-made network: what adoption changes
  netpack apply -f cluster.yml --adopt

Without -f, ./cluster.yml; apply never falls back to the built-in default unless --default is given.
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
      clusterAction(
        io,
        setExit,
        async () => {
          const timeoutMs = parseDuration(opts.timeout);
          if (timeoutMs === undefined)
            throw new UsageError(`--timeout must be a duration like 90s or 5m (got "${opts.timeout}")`);
          const concurrency = Number(opts.concurrency);
          if (!Number.isInteger(concurrency) || concurrency < 1)
            throw new UsageError(`--concurrency must be a positive integer (got "${opts.concurrency}")`);
          const ready = loadDesired(opts.file, io, opts.default);
          if (!ready) return EXIT.invalid;
          const { config, desired } = ready;
          const deadline = Date.now() + timeoutMs;
          const err = (line: string) => io.stderr(`${line}\n`);
          const text = opts.output === 'text';
          const out: ApplyOutput = {
            dryRun: opts.dryRun ?? null,
            result: 'applied',
            created: 0,
            configured: 0,
            adopted: 0,
            unchanged: 0,
            pruned: 0,
            secretsCreated: [],
            failures: [],
            plan: null,
            rollout: null,
          };
          const finish = (code: number) => {
            if (opts.output !== 'text') printReport(io, opts.output, out);
            return code;
          };
          const client = await connect(opts, err);
          try {
            if (opts.dryRun === 'client') {
              const d = await planAgainst(client, ready, io, {
                allowDnsCacheRemoval: opts.allowDnsCacheRemoval,
              });
              if (!d) return EXIT.invalid;
              out.plan = planReport(d.plan, d.refusals, d.secretsToCreate, d.stateChanges);
              out.result = d.refusals.length > 0 ? 'refused' : 'applied';
              for (const line of formatRefusals(d.refusals)) err(`netpack: ${line}`);
              if (text) {
                for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges))
                  io.stdout(`${line}\n`);
                io.stdout('dry run (client), nothing sent\n');
              }
              return finish(d.refusals.length > 0 ? EXIT.invalid : EXIT.ok);
            }
            let written = 0;
            const stopInterrupt = io.onInterrupt?.(() =>
              err(
                out.rollout
                  ? `netpack: interrupted while waiting for the rollout: everything was applied (${written} objects written) and the rollout goes on in the cluster (netpack status shows it); running apply again converges`
                  : `netpack: interrupted during apply after ${written} objects written: the cluster may be half-way (nothing was pruned yet); running apply again converges`,
              ),
            );
            try {
              const report = await applyCluster(client, config, desired, {
                dryRun: opts.dryRun === 'server',
                force: opts.force,
                allowDnsCacheRemoval: opts.allowDnsCacheRemoval,
                adopt: opts.adopt,
                concurrency,
                deadline,
                log: (l) => {
                  written++;
                  if (opts.verbose) err(`netpack: ${l}`);
                },
                lock: () => acquireLock(client, holderIdentity('apply')),
              });
              const d = report.decision;
              if (d) out.plan = planReport(d.plan, d.refusals, d.secretsToCreate, d.stateChanges);
              out.failures = report.failures.map((f) => ({
                object: f.ref,
                message: f.message,
                conflict: !!f.conflict,
              }));
              if (report.stopped) {
                out.result = 'refused';
                if (d) for (const line of formatRefusals(d.refusals)) err(`netpack: ${line}`);
                for (const f of report.failures)
                  err(`netpack: ${f.conflict ? 'conflict' : 'refused'}: ${f.ref}: ${f.message}`);
                if (report.failures.some((f) => f.conflict)) err(`netpack: ${CONFLICT_HINT}`);
                err(`netpack: ${report.stopped}`);
                return finish(EXIT.invalid);
              }
              // Refused credentials or rights refuse every write alike: one line, as for reads.
              const denied = report.failures.filter((f) => f.denied);
              if (denied.length > 0 && denied.length === report.failures.length) {
                const more = denied.length > 1 ? ` (and ${denied.length - 1} more writes alike)` : '';
                err(
                  `netpack: ${denied[0]!.ref}: ${denied[0]!.message}${more}; nothing was pruned and the state was not updated`,
                );
                out.result = 'incomplete';
                return finish(EXIT.usage);
              }
              Object.assign(out, {
                created: report.created,
                configured: report.updated,
                adopted: report.adopted,
                unchanged: report.unchanged,
                pruned: report.pruned,
                secretsCreated: report.secretsCreated,
              });
              if (opts.dryRun && d && text)
                for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges))
                  io.stdout(`${line}\n`);
              if (d) for (const line of formatStaleSecrets(d.secretsStale)) err(`netpack: warning: ${line}`);
              for (const line of d?.noEffect ?? []) err(`netpack: warning: ${line}`);
              for (const f of report.failures) err(`netpack: failed: ${f.ref}: ${f.message}`);
              const summary = `${report.created} created, ${report.updated} configured, ${report.adopted ? `${report.adopted} adopted, ` : ''}${report.unchanged} unchanged, ${report.pruned} pruned${report.secretsCreated.length ? `, ${report.secretsCreated.length} secret created` : ''}`;
              if (report.failures.length > 0) {
                out.result = 'incomplete';
                const conflicts = report.failures.some((f) => f.conflict);
                if (conflicts) err(`netpack: ${CONFLICT_HINT}`);
                err(
                  `netpack: apply incomplete (${summary}); nothing was pruned and the state was not updated; ${conflicts && report.failures.every((f) => f.conflict) ? 'see above' : 'run it again'}`,
                );
                return finish(EXIT.invalid);
              }
              if (text)
                io.stdout(`${opts.dryRun ? 'dry run, nothing changed: would be ' : 'applied: '}${summary}\n`);
              if (opts.dryRun || !opts.wait) return finish(EXIT.ok);
              const start = Date.now();
              out.rollout = [];
              try {
                await waitForCrds(client, report.crdsPending, deadline);
              } catch (e) {
                out.result = 'timed-out';
                err(`netpack: ${(e as Error).message} (after ${opts.timeout})`);
                return finish(EXIT.invalid);
              }
              const workloads = desired.objects
                .filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment')
                .map(toRef);
              const rollout = await waitForRollout(
                client,
                workloads,
                deadline,
                progressReporter(io, start),
                OUR_SELECTOR,
              );
              out.rollout = rollout.progress.map((p) => ({
                object: showRef(p.ref),
                updated: p.updated,
                ready: p.ready,
                desired: p.desired,
                done: p.done,
              }));
              if (rollout.done) {
                out.result = 'rolled-out';
                if (text) io.stdout('rolled out\n');
                return finish(EXIT.ok);
              }
              out.result = 'timed-out';
              const late = rollout.progress.filter((p) => !p.done).map((p) => showRef(p.ref));
              err(`netpack: timed out after ${opts.timeout} waiting for ${late.join(', ')}`);
              const status = clusterStatus(await readSnapshot(client, config.network));
              err(formatStatus({ ...status, checks: status.checks.filter((c) => !c.ok) }).trimEnd());
              return finish(EXIT.invalid);
            } finally {
              stopInterrupt?.();
            }
          } finally {
            client.close();
          }
        },
        { json: opts.output === 'json' },
      ),
    );
}
