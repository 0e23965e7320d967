/**
 * Apply: read what is there, refuse what would break the cluster, then server-side apply only
 * what differs — CRDs and built-in objects at once (objects in a namespace created now after
 * it), custom resources once their CRDs are Established, each in parallel with a bound — create
 * missing create-only Secrets, prune what the previous apply made and this render dropped, and
 * store the new state. First apply: 4 request waves (reads; CRDs and built-ins; custom
 * resources; the state); a re-apply that changes nothing: the reads only.
 *
 * Order matters for interruptions: the state ConfigMap is written last, so an apply killed
 * half-way leaves the previous inventory in place and the next run prunes against it.
 */
import type { ClusterConfig } from '../config/types.ts';
import { isCustomResource } from '../render/order.ts';
import { COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import { adoptObject, findUnlabelled, labelAdoptions } from './adopt.ts';
import { type Desired, secretValues } from './desired.ts';
import { dnsCacheRemovalRefusals } from './dns-cache-guard.ts';
import { etcdPoolNotices } from './etcd-pool-notice.ts';
import { guardChanges, type LiveFacts, type Refusal } from './guard.ts';
import { parseState, STATE_REF, type StoredState, stateConfigMap } from './inventory.ts';
import type { Lock } from './lock.ts';
import { isOurs, objectChanges, type Plan, type PlanItem, planChanges } from './plan.ts';
import { readRunning } from './read-facts.ts';
import { daemonSetWhere } from './running.ts';
import {
  ApiError,
  apiGroupOf,
  type ClusterClient,
  type KubeObject,
  type ObjectRef,
  refKey,
  showRef,
} from './types.ts';
import { isEstablished, waitForCrds } from './wait.ts';

export const OUR_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
/**
 * Parallel writes per phase: enough that a render's CRDs (Calico has 23) and its built-ins each
 * leave in one wave, few enough not to trip API priority and fairness.
 */
export const DEFAULT_CONCURRENCY = 32;

/** Everything read from the cluster before deciding anything. */
export interface ClusterView {
  state: StoredState | undefined;
  /** Set when the state ConfigMap exists but cannot be read: apply stops. */
  stateProblem?: string;
  stateObject: KubeObject | undefined;
  /** Live objects netpack labelled, of every kind in the render or the inventory, by refKey. */
  live: Map<string, KubeObject>;
  facts: LiveFacts;
  /** Create-only Secrets that already exist, by refKey. */
  existingSecrets: Set<string>;
  /** Create-only Secrets from files whose live value differs from the file now (refKeys). */
  staleSecrets: Set<string>;
  /** Objects of the render that exist without netpack's label (someone else made them), by refKey. */
  unlabelled: Map<string, KubeObject>;
}

const key = (apiVersion: string, kind: string) => `${apiVersion}|${kind}`;

/** Bounded parallel map; collects every failure instead of stopping at the first. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<{ item: T; error: Error }[]> {
  const failures: { item: T; error: Error }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failures.push({ item, error: e as Error });
      }
    }
  };
  // Workers start one event-loop turn apart: the first request is on the wire while the next
  // ones are still being serialised, instead of all of them leaving in one burst at the end.
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i++) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    workers.push(worker());
  }
  await Promise.all(workers);
  return failures;
}

/** Reads the state, the live objects and the facts the guard needs; sends only reads. */
export async function readCluster(client: ClusterClient, desired: Desired): Promise<ClusterView> {
  // One wave of reads: the state, and the kinds this render has, at once; kinds only the stored
  // inventory names (dropped since) are listed once the state says which.
  const live = new Map<string, KubeObject>();
  const staleSecrets = new Set<string>();
  const theirSecrets: KubeObject[] = [];
  const listed = new Set<string>();
  const listOurs = (kinds: Iterable<{ apiVersion: string; kind: string }>) =>
    Promise.all(
      [...kinds]
        .filter(
          ({ apiVersion, kind }) => !listed.has(key(apiVersion, kind)) && listed.add(key(apiVersion, kind)),
        )
        .map(async ({ apiVersion, kind }) => {
          const { items } = await client.list(apiVersion, kind, { labelSelector: OUR_SELECTOR });
          for (const o of items) live.set(refKey(o), o);
        }),
    );
  const desiredKinds = [...desired.objects, { apiVersion: 'apps/v1', kind: 'DaemonSet' }];
  const stateRead = (async () => {
    const stateObject = await client.get(STATE_REF);
    let state: StoredState | undefined;
    let stateProblem: string | undefined;
    if (stateObject) {
      const parsed = parseState(stateObject);
      if (parsed.ok) state = parsed.state;
      else stateProblem = parsed.reason;
    }
    return { stateObject, state, stateProblem };
  })();
  const [{ stateObject, state, stateProblem }, , { facts, daemonSets }, secrets] = await Promise.all([
    stateRead,
    Promise.all([listOurs(desiredKinds), stateRead.then(({ state }) => listOurs(state?.inventory ?? []))]),
    readRunning(client),
    Promise.all(
      desired.createOnly.map(async (s) => {
        const ref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name };
        const live = await client.get(ref);
        if (!live) return undefined;
        if (!isOurs(live)) theirSecrets.push(live);
        // A file-backed create-only Secret whose file changed: netpack keeps the live value, and says so.
        if (s.fileData && !sameValues(secretValues(live), s.fileData)) staleSecrets.add(refKey(ref));
        return refKey(ref);
      }),
    ),
  ]);
  // Reads in one wave: a first apply GETs every object of the render (Calico: 44).
  const unlabelled = await findUnlabelled(client, desired.objects, live, daemonSets, 2 * DEFAULT_CONCURRENCY);
  for (const secret of theirSecrets) unlabelled.set(refKey(secret), secret);
  return {
    state,
    stateProblem,
    stateObject,
    live,
    unlabelled,
    facts,
    existingSecrets: new Set(secrets.filter((s): s is string => s !== undefined)),
    staleSecrets,
  };
}

function sameValues(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

export interface Decision {
  plan: Plan;
  refusals: Refusal[];
  /** Create-only Secrets that are missing and would be created (names only). */
  secretsToCreate: string[];
  /** Create-only Secrets whose file changed since they were created: kept as they are (with where from). */
  secretsStale: { name: string; source: string }[];
  /** The state ConfigMap differs from what this apply would store. */
  stateChanges: boolean;
  stateObject: KubeObject;
  /** Changes that apply makes but that have no effect (etcd-pool-notice.ts), for a warning. */
  noEffect: string[];
  /**
   * Stored before the first write when this apply may create objects the stored inventory does
   * not name: the old inventory and the new one together, so that whatever an interrupted run
   * leaves, the next one prunes, diff shows and delete removes. Undefined: nothing new.
   */
  pendingState?: KubeObject;
}

/** Pure: the guard and the plan from what `readCluster` found. */
export function decide(
  config: ClusterConfig,
  desired: Desired,
  view: ClusterView,
  opts: { allowDnsCacheRemoval?: boolean } = {},
): Decision {
  // A network DaemonSet this render applies (a custom provider's, say) is the config's own network.
  const rendered = new Set(
    desired.objects.filter((o) => o.kind === 'DaemonSet').map((o) => daemonSetWhere(o)),
  );
  const facts = { ...view.facts, networks: view.facts.networks.filter((n) => !rendered.has(n.where)) };
  const refusals = guardChanges(config.network, view.state, facts);
  refusals.push(
    ...dnsCacheRemovalRefusals(
      config.network,
      view.state,
      view.live.values(),
      opts.allowDnsCacheRemoval === true,
    ),
  );
  const createOnlyKeys = new Set(
    desired.createOnly.map((s) =>
      refKey({ apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name }),
    ),
  );
  const plan = planChanges(
    desired.objects,
    view.live,
    view.state?.inventory,
    createOnlyKeys,
    view.unlabelled,
  );
  const secretAdoptions = labelAdoptions(desired.createOnly, view.unlabelled);
  plan.items.push(...secretAdoptions);
  plan.changes += secretAdoptions.length;
  const secretsToCreate = desired.createOnly
    .filter(
      (s) =>
        !view.existingSecrets.has(
          refKey({ apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name }),
        ),
    )
    .map((s) => `${s.namespace}/${s.name}`);
  const secretsStale = desired.createOnly
    .filter((s) =>
      view.staleSecrets.has(
        refKey({ apiVersion: 'v1', kind: 'Secret', namespace: s.namespace, name: s.name }),
      ),
    )
    .map((s) => ({ name: `${s.namespace}/${s.name}`, source: s.source }));
  const inventory: ObjectRef[] = [
    ...desired.objects.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    })),
    ...desired.createOnly.map((s) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: s.namespace,
      name: s.name,
    })),
  ];
  const stateObject = stateConfigMap(config, inventory);
  const stateChanges = !view.stateObject || objectChanges(stateObject, view.stateObject).length > 0;
  const stored = view.state?.inventory ?? [];
  const known = new Set(stored.map(refKey));
  const pendingState = inventory.some((r) => !known.has(refKey(r)))
    ? stateConfigMap(config, [...stored, ...inventory])
    : undefined;
  const noEffect = etcdPoolNotices(config.network, view.state);
  return {
    plan,
    refusals,
    secretsToCreate,
    secretsStale,
    stateChanges,
    stateObject,
    pendingState,
    noEffect,
  };
}

export interface ApplyOptions {
  dryRun: boolean;
  /** SSA force: take over fields other managers own. Refusals are never bypassed. */
  force: boolean;
  /** The operator confirmed removing a running node-local DNS cache (see dns-cache-guard.ts). */
  allowDnsCacheRemoval?: boolean;
  concurrency?: number;
  /** Deadline (ms since epoch) for CRDs to become Established. */
  deadline: number;
  log: (line: string) => void;
  /**
   * Takes the cluster's lock (`lock.ts`); throws when another run holds it. Taken only once the
   * plan says something will be written; the cluster is then read and judged again under it.
   */
  lock?: () => Promise<Lock>;
  /** Set on the run under the lock: the custom manifests were checked before it was taken. */
  underLock?: boolean;
  /** Take over objects of the render that exist without netpack's label (`adopt.ts`). */
  adopt?: boolean;
}

export interface ApplyReport {
  decision: Decision | undefined;
  /** Stopped before writing: refusals or an unreadable state. */
  stopped?: string;
  created: number;
  updated: number;
  adopted: number;
  unchanged: number;
  pruned: number;
  secretsCreated: string[];
  /** Writes that failed (or, when `stopped`, that the dry run of custom manifests refused). */
  failures: Failure[];
  stored: boolean;
  /**
   * CRDs written (or found not yet Established) that no custom resource of this render needed,
   * so apply did not wait for them; a caller that waits for the rollout waits for these too.
   */
  crdsPending: string[];
}

function phaseOf(item: PlanItem & { desired: KubeObject }): 0 | 1 | 2 {
  if (item.desired.kind === 'CustomResourceDefinition') return 0;
  return item.desired.metadata.namespace ? 2 : 1;
}

type Write = Extract<PlanItem, { action: 'create' | 'update' | 'adopt' }>;

/** The plan's items that write: creates, updates and adoptions. */
function writesOf(plan: Plan): Write[] {
  return plan.items.filter(
    (i): i is Write => i.action === 'create' || i.action === 'update' || i.action === 'adopt',
  );
}

/** The objects netpack would take over, as people name them. */
export function adoptionsOf(plan: Plan): string[] {
  return plan.items.filter((i) => i.action === 'adopt').map((i) => showRef(i.ref));
}

/**
 * Custom manifests are the operator's own, with no schema netpack could check them against
 * offline. Before anything is written (and in diff) the API server checks every one it can: a
 * dry run, strict about fields, so a typo refuses the whole apply instead of stopping it half-way.
 * Not checkable yet: objects whose CRD or namespace this same apply creates. Other providers'
 * objects are netpack's own render, checked against the Kubernetes schemas by its tests.
 */
export async function checkCustomManifests(
  client: ClusterClient,
  config: ClusterConfig,
  decision: Decision,
  opts: { limit?: number; force: boolean },
): Promise<Failure[]> {
  if (config.network.provider !== 'custom') return [];
  const toWrite = writesOf(decision.plan);
  const newNamespaces = new Set(
    toWrite.filter((i) => i.action === 'create' && i.desired.kind === 'Namespace').map((i) => i.ref.name),
  );
  const checkable: Write[] = [];
  for (const item of toWrite) {
    if (item.desired.metadata.labels?.[COMPONENT_LABEL] !== 'custom') continue;
    const ns = item.desired.metadata.namespace;
    if (ns && newNamespaces.has(ns)) continue;
    if (await client.resource(item.desired.apiVersion, item.desired.kind)) checkable.push(item);
  }
  const refused = await mapLimit(checkable, opts.limit ?? DEFAULT_CONCURRENCY, (i) =>
    client.apply(i.desired, { dryRun: true, force: opts.force }),
  );
  return refused.map((f) => failure(f.item.ref, f.error));
}

/** A failed write as reported: the object, the server's words (not naming the object twice), conflict or not. */
export interface Failure {
  ref: string;
  message: string;
  /**
   * The server refused to let netpack overwrite fields another field manager set since (a
   * server-side apply conflict): running again does not help, --force takes them back.
   */
  conflict?: boolean;
  /** 401 or 403: the credentials or the rights, the same for every write; said once. */
  denied?: boolean;
}

function failure(ref: ObjectRef | string, error: Error): Failure {
  const shown = typeof ref === 'string' ? ref : showRef(ref);
  // The client names the request ("apply Kind/ns/name: 409 ..."); the report names the object already.
  const message = error.message.replace(/^(apply|create|delete|get) ([^:]+): /, (whole, _verb, named) =>
    named === shown ? '' : whole,
  );
  const conflict = error instanceof ApiError && error.status === 409 && error.reason === 'Conflict';
  const denied = error instanceof ApiError && (error.status === 401 || error.status === 403);
  return {
    ref: shown,
    message,
    ...(conflict ? { conflict: true } : {}),
    ...(denied ? { denied: true } : {}),
  };
}

/**
 * For diff: the planned updates another field manager would stop (server-side apply conflicts),
 * found with a dry run of each update. Creates cannot conflict, and nothing is changed.
 */
export async function predictConflicts(
  client: ClusterClient,
  decision: Decision,
  limit = DEFAULT_CONCURRENCY,
): Promise<Failure[]> {
  const updates = writesOf(decision.plan).filter((i) => i.action === 'update');
  const conflicts: Failure[] = [];
  await mapLimit(updates, limit, async (i) => {
    try {
      await client.apply(i.desired, { dryRun: true, force: false });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.reason === 'Conflict')
        conflicts.push(failure(i.ref, e));
    }
  });
  return conflicts.sort((a, b) => a.ref.localeCompare(b.ref));
}

/** Whether applying the decision sends any write. */
export function writesAnything(d: Decision): boolean {
  return d.plan.changes > 0 || d.secretsToCreate.length > 0 || d.stateChanges;
}

/** The whole apply. Writes nothing when the guard refuses or the state cannot be read. */
export async function applyCluster(
  client: ClusterClient,
  config: ClusterConfig,
  desired: Desired,
  opts: ApplyOptions,
): Promise<ApplyReport> {
  const report: ApplyReport = {
    decision: undefined,
    created: 0,
    updated: 0,
    adopted: 0,
    unchanged: 0,
    pruned: 0,
    secretsCreated: [],
    failures: [],
    stored: false,
    crdsPending: [],
  };
  const view = await readCluster(client, desired);
  if (view.stateProblem) {
    report.stopped = `${view.stateProblem}; fix or delete it (netpack then rebuilds it from the live cluster)`;
    return report;
  }
  const decision = decide(config, desired, view, { allowDnsCacheRemoval: opts.allowDnsCacheRemoval });
  report.decision = decision;
  if (decision.refusals.length > 0) {
    report.stopped = 'refused changes (see above); nothing was sent';
    return report;
  }
  const adoptions = adoptionsOf(decision.plan);
  if (adoptions.length > 0 && !opts.adopt) {
    report.stopped = `${adoptions.length} objects netpack would create exist without its label (made by kubectl, Pharos or another tool): ${adoptions.join(', ')}; nothing was sent. Check them with netpack diff, then run apply --adopt to take them over`;
    return report;
  }
  const limit = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const write = { dryRun: opts.dryRun, force: opts.force };
  const toWrite = writesOf(decision.plan);
  report.unchanged = decision.plan.items.filter((i) => i.action === 'unchanged').length;
  const fail = (ref: ObjectRef | string, error: Error) => report.failures.push(failure(ref, error));

  const applyOne = async (item: Write) => {
    if (opts.dryRun && !(await client.resource(item.desired.apiVersion, item.desired.kind))) {
      // The CRD is not there yet (a dry run does not create it): nothing to ask the server.
      opts.log(`dry run: ${showRef(item.ref)} would be created once its CRD is Established`);
    } else if (item.action === 'adopt') {
      if (item.valueKept) await client.apply(item.desired, { ...write, force: true });
      else await adoptObject(client, item.desired, item.ref, write);
    } else {
      await client.apply(item.desired, write);
    }
    report[item.action === 'create' ? 'created' : item.action === 'adopt' ? 'adopted' : 'updated']++;
    const verb = { create: 'created', update: 'configured', adopt: 'adopted' }[item.action];
    opts.log(`${verb} ${showRef(item.ref)}${opts.dryRun ? ' (dry run)' : ''}`);
  };

  if (!opts.dryRun && !opts.underLock) {
    const refused = await checkCustomManifests(client, config, decision, { limit, force: opts.force });
    if (refused.length > 0) {
      report.failures.push(...refused);
      report.stopped = `the API server refused ${refused.length} of the custom manifests' objects in a dry run; nothing was written`;
      return report;
    }
  }
  if (opts.lock && !opts.dryRun && writesAnything(decision)) {
    const lock = await opts.lock();
    try {
      // Another run may have written between the first read and the lock: judge again under it.
      return await applyCluster(client, config, desired, { ...opts, lock: undefined, underLock: true });
    } finally {
      await lock.release().catch((e: Error) => opts.log(`lock: not released: ${e.message}`));
    }
  }

  if (decision.pendingState && !opts.dryRun) {
    // Before the first write: what this run may create is on record, whatever happens next.
    await client.apply(decision.pendingState, { dryRun: false, force: true });
    opts.log('recorded the objects this apply may create (ConfigMap kube-system/netpack-state)');
  }

  // Phase 0: CRDs, the ones this render's custom resources need first, so that their clock to
  // Established starts early. Custom resources wait for their own CRDs only; the built-in objects
  // go out once every CRD is written (cluster-scoped, then namespaced, with the create-only
  // Secrets). CRDs nothing here needs yet are left to become Established on their own: the
  // caller's rollout wait covers them (`crdsPending`).
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
  const crds = toWrite
    .filter((i) => phaseOf(i) === 0)
    .sort(
      (x, y) => Number(needed.has(y.desired.metadata.name)) - Number(needed.has(x.desired.metadata.name)),
    );
  const writtenNow = new Set(crds.map((i) => i.desired.metadata.name));
  const notReady = (name: string) =>
    writtenNow.has(name) ||
    !isEstablished(
      view.live.get(
        refKey({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }),
      ),
    );
  const pending = [...needed].filter(notReady);
  report.crdsPending = opts.dryRun
    ? []
    : renderedCrds.map((c) => c.metadata.name).filter((n) => !needed.has(n) && notReady(n));
  let neededLeft = crds.filter((i) => needed.has(i.desired.metadata.name)).length;
  let neededFailed = false;
  let neededWritten!: () => void;
  const neededDone = new Promise<void>((resolve) => (neededWritten = resolve));
  if (neededLeft === 0) neededWritten();
  const crdWrites = mapLimit(crds, limit, async (item) => {
    const isNeeded = needed.has(item.desired.metadata.name);
    try {
      await applyOne(item);
    } catch (e) {
      if (isNeeded) neededFailed = true;
      throw e;
    } finally {
      if (isNeeded && --neededLeft === 0) neededWritten();
    }
  });
  // The watch on the CRDs custom resources need opens alongside their writes (no list first),
  // so the custom resources leave one round trip after their CRDs, not two.
  const stopWatching = new AbortController();
  const established = (async (): Promise<boolean> => {
    if (opts.dryRun || pending.length === 0) return true;
    const watched = waitForCrds(client, pending, opts.deadline, {
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
      fail('CustomResourceDefinitions', error);
      return false;
    }
    // Their kinds are served now, where the CRDs say: no need to ask discovery again.
    for (const crd of renderedCrds) if (needed.has(crd.metadata.name)) client.learnCrd(crd);
    return true;
  })();

  const secrets = desired.createOnly.filter((s) =>
    decision.secretsToCreate.includes(`${s.namespace}/${s.name}`),
  );
  type Job = { ref: string; namespace: string | undefined; run: () => Promise<void> };
  const createSecrets: Job[] = secrets.map((s) => ({
    ref: `Secret/${s.namespace}/${s.name}`,
    namespace: s.namespace,
    run: async () => {
      const result = await client.create(s.build(), { dryRun: opts.dryRun });
      if (result !== 'exists') {
        report.secretsCreated.push(`${s.namespace}/${s.name}`);
        opts.log(
          `created Secret ${s.namespace}/${s.name} from ${s.source}${opts.dryRun ? ' (dry run)' : ''}`,
        );
      }
    },
  }));
  const writeAll = async (items: Job[]): Promise<boolean> => {
    for (const f of await mapLimit(items, limit, (n) => n.run())) fail(f.item.ref, f.error);
    return report.failures.length === 0;
  };
  const writes = (items: Write[]): Job[] =>
    items.map((i) => ({ ref: showRef(i.ref), namespace: i.ref.namespace, run: () => applyOne(i) }));
  // Built-ins go out with the CRDs, all at once (the API server needs no order among them, as
  // kubectl's single pass shows), except objects in a namespace this apply creates: those
  // follow their Namespace. Custom resources follow their CRDs once Established, and the
  // namespaces created now.
  const newNamespaces = new Set(
    toWrite.filter((i) => i.action === 'create' && i.desired.kind === 'Namespace').map((i) => i.ref.name),
  );
  const inNew = (j: Job) => j.namespace !== undefined && newNamespaces.has(j.namespace);
  const builtIns = [
    ...writes(toWrite.filter((i) => phaseOf(i) !== 0 && !isCustomResource(i.desired))),
    ...createSecrets,
  ];
  const firstDone = writeAll(builtIns.filter((j) => !inNew(j)));
  const builtInsDone = firstDone.then((ok) => ok && writeAll(builtIns.filter(inNew)));
  const customsDone = Promise.all([firstDone, established]).then(
    ([ok, ready]) => ok && ready && writeAll(writes(toWrite.filter((i) => isCustomResource(i.desired)))),
  );
  const [crdFailures, builtInsOk, customsOk] = await Promise.all([crdWrites, builtInsDone, customsDone]);
  for (const f of crdFailures) fail(f.item.ref, f.error);
  if (!builtInsOk || !customsOk || report.failures.length > 0) return report;

  // Prune only after a clean apply: namespaced first, then cluster-scoped, CRDs last.
  const prunes = decision.plan.items.filter((i) => i.action === 'prune');
  for (const rank of [0, 1, 2]) {
    const batch = prunes.filter(
      (p) => (p.ref.kind === 'CustomResourceDefinition' ? 2 : p.ref.namespace ? 0 : 1) === rank,
    );
    const failures = await mapLimit(batch, limit, async (p) => {
      const live = view.live.get(refKey(p.ref));
      // Checked in the plan, checked again right before the one destructive call.
      if (!live || !isOurs(live)) return;
      await client.delete(p.ref, { dryRun: opts.dryRun });
      report.pruned++;
      opts.log(`pruned ${showRef(p.ref)}${opts.dryRun ? ' (dry run)' : ''}`);
    });
    for (const f of failures) fail(f.item.ref, f.error);
    if (report.failures.length > 0) return report;
  }

  if (decision.stateChanges || (decision.pendingState && !opts.dryRun)) {
    // Our own object: force, so a stray edit of it never blocks the record of what was applied.
    await client.apply(decision.stateObject, { dryRun: opts.dryRun, force: true });
    report.stored = !opts.dryRun;
  }
  return report;
}
