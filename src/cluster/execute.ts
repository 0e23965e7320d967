/**
 * Act: the writes of a decided apply, in as few request waves as their order allows.
 *
 * 1. The write-ahead record (`Decision.pendingState`), acknowledged before any object it names
 *    is created: whatever an interrupted run leaves, the next one prunes, diff shows and delete
 *    removes. It cannot go alongside the CRDs: a CRD written with it could outlive a refused
 *    record.
 * 2. CRDs and built-ins at once (the API server needs no order among them, as kubectl's single
 *    pass shows), except objects in a namespace this apply creates: those follow their Namespace.
 *    The CRDs this render's custom resources need go first, and a watch on them opens alongside
 *    their writes (no list first), so their clock to Established starts early.
 * 3. Custom resources once their own CRDs are Established. CRDs nothing here needs are left to
 *    become Established on their own: the caller's rollout wait covers them (`crdsPending`).
 * 4. Prune, only after a clean apply: namespaced first, then cluster-scoped, CRDs last
 *    (`deleteRank`, render/order.ts).
 * 5. The state, last: an apply killed half-way leaves the previous inventory (or the write-ahead
 *    record) in place and the next run prunes against it. Sent alongside `alongsideState` (the
 *    lock's release, apply.ts).
 */
import { deleteRank, isCustomResource } from '../render/order.ts';
import { adoptObject } from './adopt.ts';
import type { Decision, Write } from './decide.ts';
import { writesOf } from './decide.ts';
import type { Desired } from './desired.ts';
import { type Failure, failure } from './failure.ts';
import { mapLimit } from './map-limit.ts';
import { isOurs } from './plan.ts';
import type { ClusterView } from './read.ts';
import { apiGroupOf, type ClusterClient, type KubeObject, type ObjectRef, refKey, showRef } from './types.ts';
import { isEstablished, waitForCrds } from './wait.ts';

export interface ExecuteOptions {
  dryRun: boolean;
  /** SSA force: take over fields other managers own. */
  force: boolean;
  concurrency: number;
  /** Deadline (ms since epoch) for CRDs to become Established. */
  deadline: number;
  log: (line: string) => void;
  /** Sent alongside the state write, the last wave (the lock's release). */
  alongsideState?: () => Promise<void>;
}

/** What the writes did. */
export interface Outcome {
  created: number;
  updated: number;
  adopted: number;
  pruned: number;
  secretsCreated: string[];
  failures: Failure[];
  stored: boolean;
  /**
   * CRDs written (or found not yet Established) that no custom resource of this render needed,
   * so apply did not wait for them; a caller that waits for the rollout waits for these too.
   */
  crdsPending: string[];
}

type Job = { ref: string; namespace: string | undefined; run: () => Promise<void> };

/** One execution: the client, the options and the outcome its writes add to. */
interface Run {
  client: ClusterClient;
  opts: ExecuteOptions;
  out: Outcome;
}

const fail = (run: Run, ref: ObjectRef | string, error: Error) => run.out.failures.push(failure(ref, error));

async function applyOne(run: Run, item: Write): Promise<void> {
  const { client, opts } = run;
  const write = { dryRun: opts.dryRun, force: opts.force };
  if (opts.dryRun && !(await client.resource(item.desired.apiVersion, item.desired.kind))) {
    // The CRD is not there yet (a dry run does not create it): nothing to ask the server.
    opts.log(`dry run: ${showRef(item.ref)} would be created once its CRD is Established`);
  } else if (item.action === 'adopt') {
    if (item.valueKept) await client.apply(item.desired, { ...write, force: true });
    else await adoptObject(client, item.desired, item.ref, write);
  } else {
    await client.apply(item.desired, write);
  }
  run.out[item.action === 'create' ? 'created' : item.action === 'adopt' ? 'adopted' : 'updated']++;
  const verb = { create: 'created', update: 'configured', adopt: 'adopted' }[item.action];
  opts.log(`${verb} ${showRef(item.ref)}${opts.dryRun ? ' (dry run)' : ''}`);
}

/** Runs the jobs with the bound; true when no failure is on record (theirs or earlier ones). */
async function writeAll(run: Run, jobs: Job[]): Promise<boolean> {
  for (const f of await mapLimit(jobs, run.opts.concurrency, (j) => j.run())) fail(run, f.item.ref, f.error);
  return run.out.failures.length === 0;
}

const jobsOf = (run: Run, items: Write[]): Job[] =>
  items.map((i) => ({ ref: showRef(i.ref), namespace: i.ref.namespace, run: () => applyOne(run, i) }));

/** The CRDs of the render and which of them this apply waits for (its custom resources need them). */
function crdPhase(desired: Desired, view: ClusterView, toWrite: Write[], dryRun: boolean) {
  const renderedCrds = desired.objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const crKinds = new Set(
    toWrite
      .filter((i) => isCustomResource(i.desired))
      .map((i) => `${apiGroupOf(i.desired.apiVersion)}|${i.desired.kind}`),
  );
  const needed = new Set(
    renderedCrds
      .filter((crd) => {
        const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
        return crKinds.has(`${spec?.group}|${spec?.names?.kind}`);
      })
      .map((crd) => crd.metadata.name),
  );
  const isNeeded = (i: Write) => needed.has(i.desired.metadata.name);
  const crds = toWrite
    .filter((i) => i.desired.kind === 'CustomResourceDefinition')
    .sort((x, y) => Number(isNeeded(y)) - Number(isNeeded(x)));
  const writtenNow = new Set(crds.map((i) => i.desired.metadata.name));
  const notReady = (name: string) =>
    writtenNow.has(name) ||
    !isEstablished(
      view.live.get(
        refKey({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }),
      ),
    );
  return {
    crds,
    isNeeded,
    neededCrds: renderedCrds.filter((c) => needed.has(c.metadata.name)),
    pending: [...needed].filter(notReady),
    crdsPending: dryRun
      ? []
      : renderedCrds.map((c) => c.metadata.name).filter((n) => !needed.has(n) && notReady(n)),
  };
}

/**
 * Writes the CRDs and waits, by a watch opened alongside, for those the custom resources need;
 * `established` is false when one of them failed or did not become Established in time.
 */
function writeCrds(run: Run, phase: ReturnType<typeof crdPhase>) {
  const { client, opts } = run;
  let neededLeft = phase.crds.filter(phase.isNeeded).length;
  let neededFailed = false;
  let neededWritten!: () => void;
  const neededDone = new Promise<void>((resolve) => (neededWritten = resolve));
  if (neededLeft === 0) neededWritten();
  const written = mapLimit(phase.crds, opts.concurrency, async (item) => {
    try {
      await applyOne(run, item);
    } catch (e) {
      if (phase.isNeeded(item)) neededFailed = true;
      throw e;
    } finally {
      if (phase.isNeeded(item) && --neededLeft === 0) neededWritten();
    }
  });
  const established = (async (): Promise<boolean> => {
    if (opts.dryRun || phase.pending.length === 0) return true;
    const stopWatching = new AbortController();
    const watched = waitForCrds(client, phase.pending, opts.deadline, {
      listFirst: false,
      signal: stopWatching.signal,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    await neededDone;
    if (neededFailed) {
      stopWatching.abort();
      await watched;
      return false;
    }
    const error = await watched;
    if (error) {
      fail(run, 'CustomResourceDefinitions', error);
      return false;
    }
    // Their kinds are served now, where the CRDs say: no need to ask discovery again.
    for (const crd of phase.neededCrds) client.learnCrd(crd);
    return true;
  })();
  return { written, established };
}

/** The missing create-only Secrets, created (never updated), with where their value comes from. */
function secretJobs(run: Run, desired: Desired, decision: Decision): Job[] {
  const { client, opts } = run;
  return desired.createOnly
    .filter((s) => decision.secretsToCreate.includes(`${s.namespace}/${s.name}`))
    .map((s) => ({
      ref: `Secret/${s.namespace}/${s.name}`,
      namespace: s.namespace,
      run: async () => {
        const result = await client.create(s.build(), { dryRun: opts.dryRun });
        if (result === 'exists') return;
        run.out.secretsCreated.push(`${s.namespace}/${s.name}`);
        opts.log(
          `created Secret ${s.namespace}/${s.name} from ${s.source}${opts.dryRun ? ' (dry run)' : ''}`,
        );
      },
    }));
}

/** Phases 2 and 3: CRDs, built-ins and create-only Secrets, then custom resources. True when all went. */
async function writeObjects(run: Run, desired: Desired, view: ClusterView, decision: Decision) {
  const toWrite = writesOf(decision.plan);
  const phase = crdPhase(desired, view, toWrite, run.opts.dryRun);
  run.out.crdsPending = phase.crdsPending;
  const crds = writeCrds(run, phase);
  const newNamespaces = new Set(
    toWrite.filter((i) => i.action === 'create' && i.desired.kind === 'Namespace').map((i) => i.ref.name),
  );
  const inNew = (j: Job) => j.namespace !== undefined && newNamespaces.has(j.namespace);
  const builtIns = [
    ...jobsOf(
      run,
      toWrite.filter((i) => i.desired.kind !== 'CustomResourceDefinition' && !isCustomResource(i.desired)),
    ),
    ...secretJobs(run, desired, decision),
  ];
  const firstDone = writeAll(
    run,
    builtIns.filter((j) => !inNew(j)),
  );
  const builtInsDone = firstDone.then((ok) => ok && writeAll(run, builtIns.filter(inNew)));
  const customsDone = Promise.all([firstDone, crds.established]).then(
    ([ok, ready]) =>
      ok &&
      ready &&
      writeAll(
        run,
        jobsOf(
          run,
          toWrite.filter((i) => isCustomResource(i.desired)),
        ),
      ),
  );
  const [crdFailures, builtInsOk, customsOk] = await Promise.all([crds.written, builtInsDone, customsDone]);
  for (const f of crdFailures) fail(run, f.item.ref, f.error);
  return builtInsOk && customsOk && run.out.failures.length === 0;
}

/** Phase 4: what the previous apply made and this render dropped. True when all went. */
async function prune(run: Run, view: ClusterView, decision: Decision): Promise<boolean> {
  const { client, opts } = run;
  const prunes = decision.plan.items.filter((i) => i.action === 'prune');
  for (const rank of [0, 1, 2]) {
    const batch = prunes.filter((p) => deleteRank(p.ref) === rank);
    const failures = await mapLimit(batch, opts.concurrency, async (p) => {
      const live = view.live.get(refKey(p.ref));
      // Checked in the plan, checked again right before the one destructive call.
      if (!live || !isOurs(live)) return;
      await client.delete(p.ref, { dryRun: opts.dryRun });
      run.out.pruned++;
      opts.log(`pruned ${showRef(p.ref)}${opts.dryRun ? ' (dry run)' : ''}`);
    });
    for (const f of failures) fail(run, f.item.ref, f.error);
    if (run.out.failures.length > 0) return false;
  }
  return true;
}

/** Phase 5: the state, with what goes alongside it. */
async function storeState(run: Run, decision: Decision): Promise<void> {
  const { client, opts } = run;
  const write = async (state: KubeObject) => {
    // Our own object: force, so a stray edit of it never blocks the record of what was applied.
    await client.apply(state, { dryRun: opts.dryRun, force: true });
    run.out.stored = !opts.dryRun;
  };
  const needed = decision.stateChanges || (decision.pendingState && !opts.dryRun);
  await Promise.all([needed ? write(decision.stateObject) : undefined, opts.alongsideState?.()]);
}

/** The writes of the decision, phase by phase; stops before prune and state at the first failure. */
export async function execute(
  client: ClusterClient,
  desired: Desired,
  view: ClusterView,
  decision: Decision,
  opts: ExecuteOptions,
): Promise<Outcome> {
  const out: Outcome = {
    created: 0,
    updated: 0,
    adopted: 0,
    pruned: 0,
    secretsCreated: [],
    failures: [],
    stored: false,
    crdsPending: [],
  };
  const run: Run = { client, opts, out };
  if (decision.pendingState && !opts.dryRun) {
    // Before the first write: what this run may create is on record, whatever happens next.
    await client.apply(decision.pendingState, { dryRun: false, force: true });
    opts.log('recorded the objects this apply may create (ConfigMap kube-system/netpack-state)');
  }
  if (!(await writeObjects(run, desired, view, decision))) return out;
  if (!(await prune(run, view, decision))) return out;
  await storeState(run, decision);
  return out;
}
