/**
 * `netpack apply`: flags → options → `applyCluster` (cluster/apply.ts) → print → wait for the
 * rollout → exit code.
 */
import type { Command } from 'commander';
import { type ApplyReport, applyCluster, DEFAULT_CONCURRENCY } from '../../cluster/apply.ts';
import { connect, parseDuration } from '../../cluster/connect.ts';
import type { Decision } from '../../cluster/decide.ts';
import { acquireLock, holderIdentity } from '../../cluster/lock.ts';
import { OUR_SELECTOR } from '../../cluster/read.ts';
import {
  formatPlan,
  formatRefusals,
  formatStaleSecrets,
  type PlanReport,
  planReport,
} from '../../cluster/report.ts';
import { readSnapshot } from '../../cluster/snapshot.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';
import { type ClusterClient, showRef, toRef } from '../../cluster/types.ts';
import {
  plainReporter,
  type RolloutReporter,
  ttyReporter,
  waitForCrds,
  waitForRollout,
} from '../../cluster/wait.ts';
import {
  addClusterFlags,
  type ClusterFlags,
  clusterAction,
  dryRunOption,
  failureOutput,
  loadDesired,
  planAgainst,
  type Ready,
  type ReportFormat,
} from '../cluster-command.ts';
import { EXIT, type Io, outputOption, printReport } from '../context.ts';
import { UsageError } from '../io.ts';

/** What to do about a server-side apply conflict. */
const CONFLICT_HINT =
  'another field manager (named above) changed fields that netpack applies; apply does not take them over on its own: undo that change, or run apply with --force to take the fields back (the other change is then lost)';

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
  failures: { object: string; message: string; code: string; conflict: boolean }[];
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

/** One apply command's run: its flags, where it prints, the report it builds. */
interface Run {
  io: Io;
  opts: ApplyFlags;
  out: ApplyOutput;
  err: (line: string) => void;
  text: boolean;
  /** Prints the `-o json|yaml` report (text is printed as it goes) and returns the exit code. */
  finish: (code: number) => number;
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
      clusterAction(io, setExit, () => runApply(io, opts), { json: opts.output === 'json' }),
    );
}

/** The flags as numbers; a usage error when they are not. */
function parseFlags(opts: ApplyFlags): { timeoutMs: number; concurrency: number } {
  const timeoutMs = parseDuration(opts.timeout);
  if (timeoutMs === undefined)
    throw new UsageError(`--timeout must be a duration like 90s or 5m (got "${opts.timeout}")`);
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency must be a positive integer (got "${opts.concurrency}")`);
  return { timeoutMs, concurrency };
}

async function runApply(io: Io, opts: ApplyFlags): Promise<number> {
  const { timeoutMs, concurrency } = parseFlags(opts);
  const ready = loadDesired(opts.file, io, opts.default);
  if (!ready) return EXIT.invalid;
  const deadline = Date.now() + timeoutMs;
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
  const run: Run = {
    io,
    opts,
    out,
    err: (line) => io.stderr(`${line}\n`),
    text: opts.output === 'text',
    finish: (code) => {
      if (opts.output !== 'text') printReport(io, opts.output, out);
      return code;
    },
  };
  const client = await connect(opts, run.err);
  try {
    if (opts.dryRun === 'client') return await clientDryRun(run, client, ready);
    return await applyAndWait(run, client, ready, { concurrency, deadline });
  } finally {
    client.close();
  }
}

const planOutput = (d: Decision) => planReport(d.plan, d.refusals, d.secretsToCreate, d.stateChanges);

/** `--dry-run=client`: the plan against the live cluster, only reads sent. */
async function clientDryRun(run: Run, client: ClusterClient, ready: Ready): Promise<number> {
  const { io, opts, out } = run;
  const d = await planAgainst(client, ready, io, { allowDnsCacheRemoval: opts.allowDnsCacheRemoval });
  if (!d) return EXIT.invalid;
  out.plan = planOutput(d);
  out.result = d.refusals.length > 0 ? 'refused' : 'applied';
  for (const line of formatRefusals(d.refusals)) run.err(`netpack: ${line}`);
  if (run.text) {
    for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges)) io.stdout(`${line}\n`);
    io.stdout('dry run (client), nothing sent\n');
  }
  return run.finish(d.refusals.length > 0 ? EXIT.invalid : EXIT.ok);
}

/** The apply (with Ctrl-C saying how far it got), its report, then the rollout wait. */
async function applyAndWait(
  run: Run,
  client: ClusterClient,
  ready: Ready,
  limits: { concurrency: number; deadline: number },
): Promise<number> {
  const { io, opts, out } = run;
  let written = 0;
  const stopInterrupt = io.onInterrupt?.(() =>
    run.err(
      out.rollout
        ? `netpack: interrupted while waiting for the rollout: everything was applied (${written} objects written) and the rollout goes on in the cluster (netpack status shows it); running apply again converges`
        : `netpack: interrupted during apply after ${written} objects written: the cluster may be half-way (nothing was pruned yet); running apply again converges`,
    ),
  );
  try {
    const report = await applyCluster(client, ready.config, ready.desired, {
      dryRun: opts.dryRun === 'server',
      force: opts.force,
      allowDnsCacheRemoval: opts.allowDnsCacheRemoval,
      adopt: opts.adopt,
      ...limits,
      log: (l) => {
        written++;
        if (opts.verbose) run.err(`netpack: ${l}`);
      },
      lock: () => acquireLock(client, holderIdentity('apply')),
    });
    const code = printApplied(run, report);
    if (code !== undefined) return code;
    if (opts.dryRun || !opts.wait) return run.finish(EXIT.ok);
    return await waitRolledOut(run, client, ready, report, limits.deadline);
  } finally {
    stopInterrupt?.();
  }
}

/** Says what apply did; the exit code when it stopped or failed, undefined when it went through. */
function printApplied(run: Run, report: ApplyReport): number | undefined {
  const { io, opts, out } = run;
  const d = report.decision;
  if (d) out.plan = planOutput(d);
  out.failures = report.failures.map((f) => ({ ...failureOutput(f), conflict: !!f.conflict }));
  if (report.stopped) {
    out.result = 'refused';
    if (d) for (const line of formatRefusals(d.refusals)) run.err(`netpack: ${line}`);
    for (const f of report.failures)
      run.err(`netpack: ${f.conflict ? 'conflict' : 'refused'}: ${f.ref}: ${f.message}`);
    if (report.failures.some((f) => f.conflict)) run.err(`netpack: ${CONFLICT_HINT}`);
    run.err(`netpack: ${report.stopped}`);
    return run.finish(EXIT.invalid);
  }
  // Refused credentials or rights refuse every write alike: one line, as for reads.
  const denied = report.failures.filter((f) => f.denied);
  if (denied.length > 0 && denied.length === report.failures.length) {
    const more = denied.length > 1 ? ` (and ${denied.length - 1} more writes alike)` : '';
    run.err(
      `netpack: ${denied[0]!.ref}: ${denied[0]!.message}${more}; nothing was pruned and the state was not updated`,
    );
    out.result = 'incomplete';
    return run.finish(EXIT.usage);
  }
  Object.assign(out, {
    created: report.created,
    configured: report.updated,
    adopted: report.adopted,
    unchanged: report.unchanged,
    pruned: report.pruned,
    secretsCreated: report.secretsCreated,
  });
  if (opts.dryRun && d && run.text)
    for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges)) io.stdout(`${line}\n`);
  if (d) for (const line of formatStaleSecrets(d.secretsStale)) run.err(`netpack: warning: ${line}`);
  for (const line of d?.noEffect ?? []) run.err(`netpack: warning: ${line}`);
  for (const f of report.failures) run.err(`netpack: failed: ${f.ref}: ${f.message}`);
  return printSummary(run, report);
}

/** The one-line summary, or why apply is incomplete (exit 1). */
function printSummary(run: Run, report: ApplyReport): number | undefined {
  const summary = `${report.created} created, ${report.updated} configured, ${report.adopted ? `${report.adopted} adopted, ` : ''}${report.unchanged} unchanged, ${report.pruned} pruned${report.secretsCreated.length ? `, ${report.secretsCreated.length} secret created` : ''}`;
  if (report.failures.length > 0) {
    run.out.result = 'incomplete';
    const conflicts = report.failures.some((f) => f.conflict);
    if (conflicts) run.err(`netpack: ${CONFLICT_HINT}`);
    run.err(
      `netpack: apply incomplete (${summary}); nothing was pruned and the state was not updated; ${conflicts && report.failures.every((f) => f.conflict) ? 'see above' : 'run it again'}`,
    );
    return run.finish(EXIT.invalid);
  }
  if (run.text)
    run.io.stdout(`${run.opts.dryRun ? 'dry run, nothing changed: would be ' : 'applied: '}${summary}\n`);
  return undefined;
}

/** Waits for the CRDs apply did not wait for, then the rollout; on a timeout, what is unhealthy. */
async function waitRolledOut(
  run: Run,
  client: ClusterClient,
  ready: Ready,
  report: ApplyReport,
  deadline: number,
): Promise<number> {
  const { io, opts, out } = run;
  const start = Date.now();
  out.rollout = [];
  try {
    await waitForCrds(client, report.crdsPending, deadline);
  } catch (e) {
    out.result = 'timed-out';
    run.err(`netpack: ${(e as Error).message} (after ${opts.timeout})`);
    return run.finish(EXIT.invalid);
  }
  const workloads = ready.desired.objects
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
    if (run.text) io.stdout('rolled out\n');
    return run.finish(EXIT.ok);
  }
  out.result = 'timed-out';
  const late = rollout.progress.filter((p) => !p.done).map((p) => showRef(p.ref));
  run.err(`netpack: timed out after ${opts.timeout} waiting for ${late.join(', ')}`);
  const status = clusterStatus(await readSnapshot(client, ready.config.network));
  run.err(formatStatus({ ...status, checks: status.checks.filter((c) => !c.ok) }).trimEnd());
  return run.finish(EXIT.invalid);
}
