/**
 * Decide: from what `read.ts` found, what apply would do and what it refuses. Pure: the guard
 * (`guard.ts`, `dns-cache-guard.ts`), the plan (`plan.ts`), the create-only Secrets, the state to
 * store and the write-ahead record.
 */
import type { ClusterConfig } from '../config/types.ts';
import { labelAdoptions } from './adopt.ts';
import type { CreateOnlySecret, Desired } from './desired.ts';
import { dnsCacheRemovalRefusals } from './dns-cache-guard.ts';
import { etcdPoolNotices } from './etcd-pool-notice.ts';
import { guardChanges, type Refusal } from './guard.ts';
import { stateConfigMap } from './inventory.ts';
import { objectChanges, type Plan, type PlanItem, planChanges } from './plan.ts';
import type { ClusterView } from './read.ts';
import { daemonSetWhere } from './running.ts';
import { type KubeObject, type ObjectRef, refKey, showRef } from './types.ts';

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

const secretRef = (s: CreateOnlySecret): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace: s.namespace,
  name: s.name,
});

/** The guard's refusals; a network DaemonSet this render applies (a custom provider's) is the config's own. */
function refusalsOf(
  config: ClusterConfig,
  desired: Desired,
  view: ClusterView,
  allowDnsCacheRemoval: boolean,
): Refusal[] {
  const rendered = new Set(
    desired.objects.filter((o) => o.kind === 'DaemonSet').map((o) => daemonSetWhere(o)),
  );
  const facts = { ...view.facts, networks: view.facts.networks.filter((n) => !rendered.has(n.where)) };
  return [
    ...guardChanges(config.network, view.state, facts),
    ...dnsCacheRemovalRefusals(config.network, view.state, view.live.values(), allowDnsCacheRemoval),
  ];
}

/** The plan, with the adoptions of create-only Secrets someone else made. */
function planOf(desired: Desired, view: ClusterView): Plan {
  const createOnlyKeys = new Set(desired.createOnly.map((s) => refKey(secretRef(s))));
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
  return plan;
}

/** The state this apply stores, whether it differs from the live one, and the write-ahead record. */
function statesOf(config: ClusterConfig, desired: Desired, view: ClusterView) {
  const inventory: ObjectRef[] = [
    ...desired.objects.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    })),
    ...desired.createOnly.map(secretRef),
  ];
  const stateObject = stateConfigMap(config, inventory);
  const stateChanges = !view.stateObject || objectChanges(stateObject, view.stateObject).length > 0;
  const stored = view.state?.inventory ?? [];
  const known = new Set(stored.map(refKey));
  const pendingState = inventory.some((r) => !known.has(refKey(r)))
    ? stateConfigMap(config, [...stored, ...inventory])
    : undefined;
  return { stateObject, stateChanges, ...(pendingState ? { pendingState } : {}) };
}

/** Pure: the guard and the plan from what `readCluster` found. */
export function decide(
  config: ClusterConfig,
  desired: Desired,
  view: ClusterView,
  opts: { allowDnsCacheRemoval?: boolean } = {},
): Decision {
  const has = (set: ReadonlySet<string>) => (s: CreateOnlySecret) => set.has(refKey(secretRef(s)));
  return {
    plan: planOf(desired, view),
    refusals: refusalsOf(config, desired, view, opts.allowDnsCacheRemoval === true),
    secretsToCreate: desired.createOnly
      .filter((s) => !has(view.existingSecrets)(s))
      .map((s) => `${s.namespace}/${s.name}`),
    secretsStale: desired.createOnly
      .filter(has(view.staleSecrets))
      .map((s) => ({ name: `${s.namespace}/${s.name}`, source: s.source })),
    ...statesOf(config, desired, view),
    noEffect: etcdPoolNotices(config.network, view.state),
  };
}

export type Write = Extract<PlanItem, { action: 'create' | 'update' | 'adopt' }>;

/** The plan's items that write: creates, updates and adoptions. */
export function writesOf(plan: Plan): Write[] {
  return plan.items.filter(
    (i): i is Write => i.action === 'create' || i.action === 'update' || i.action === 'adopt',
  );
}

/** The objects netpack would take over, as people name them. */
export function adoptionsOf(plan: Plan): string[] {
  return plan.items.filter((i) => i.action === 'adopt').map((i) => showRef(i.ref));
}

/** Whether applying the decision sends any write. */
export function writesAnything(d: Decision): boolean {
  return d.plan.changes > 0 || d.secretsToCreate.length > 0 || d.stateChanges;
}
