/**
 * Waiting on the cluster by watching it: CRDs until Established, DaemonSets and Deployments
 * until rolled out. A watch the server or network drops is resumed from the last
 * resourceVersion seen; one whose resourceVersion expired (410) starts over with a list.
 */
import type { ClusterClient, KubeObject, ListOptions, ObjectRef } from './types.ts';
import { refKey, showRef } from './types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WatchUntilResult {
  done: boolean;
  /** The last state seen, by refKey. */
  objects: Map<string, KubeObject>;
}

export interface WatchUntilOptions {
  /**
   * Skip the first list: a watch without a resourceVersion starts with every matching object
   * as it is, so a caller that opens it alongside the writes it waits for saves a round trip.
   */
  listFirst?: boolean;
  /** Stops waiting (done: false). */
  signal?: AbortSignal;
}

/**
 * Lists `kind`, then watches it until `isDone(objects)` or `deadline` (ms since epoch).
 * `onChange` runs after the list and after every event.
 */
export async function watchUntil(
  client: ClusterClient,
  apiVersion: string,
  kind: string,
  opts: ListOptions,
  isDone: (objects: Map<string, KubeObject>) => boolean,
  deadline: number,
  onChange: (objects: Map<string, KubeObject>) => void = () => {},
  options: WatchUntilOptions = {},
): Promise<WatchUntilResult> {
  const objects = new Map<string, KubeObject>();
  let resourceVersion: string | undefined;
  let failures = 0;
  const relist = async () => {
    const listed = await client.list(apiVersion, kind, opts);
    objects.clear();
    for (const o of listed.items) objects.set(refKey(o), o);
    resourceVersion = listed.resourceVersion;
    onChange(objects);
  };
  // Without the list nothing is known yet: watch before asking whether it is done.
  let unknown = options.listFirst === false;
  if (!unknown) await relist();
  while (unknown || !isDone(objects)) {
    unknown = false;
    const left = deadline - Date.now();
    if (left <= 0 || options.signal?.aborted) return { done: false, objects };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), left);
    const stop = () => controller.abort();
    options.signal?.addEventListener('abort', stop);
    let progressed = false;
    const end = await client
      .watch(
        apiVersion,
        kind,
        { ...opts, resourceVersion, timeoutSeconds: Math.max(1, Math.ceil(left / 1000)) },
        (ev) => {
          progressed = true;
          const rv = ev.object.metadata?.resourceVersion as string | undefined;
          if (rv) resourceVersion = rv;
          if (ev.type === 'BOOKMARK') return;
          if (ev.type === 'DELETED') objects.delete(refKey(ev.object));
          else objects.set(refKey(ev.object), ev.object);
          onChange(objects);
          if (isDone(objects)) controller.abort();
        },
        controller.signal,
      )
      .finally(() => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', stop);
      });
    if (isDone(objects)) break;
    if (end === 'aborted') return { done: false, objects };
    failures = progressed ? 0 : failures + 1;
    // A watch that ends at once again and again (faults, a flapping server): back off a little.
    if (failures > 0) await sleep(Math.min(2000, 50 * 2 ** Math.min(failures, 6)));
    if (end === 'expired') await relist();
  }
  return { done: true, objects };
}

/** Whether a CRD has condition Established=True. */
export function isEstablished(crd: KubeObject | undefined): boolean {
  const conditions = (crd?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

/**
 * Waits until every named CRD is Established. Throws on timeout. A few CRDs are watched one by
 * one by name: listing every CRD would bring all their schemas along (Calico's are ~1 MB), only
 * for their conditions.
 */
export async function waitForCrds(
  client: ClusterClient,
  names: string[],
  deadline: number,
  options: WatchUntilOptions = {},
): Promise<void> {
  if (names.length === 0) return;
  const keyOf = (name: string) =>
    refKey({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
  const watchCrds = (opts: ListOptions, wanted: string[]) =>
    watchUntil(
      client,
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      opts,
      (objs) => wanted.every((n) => isEstablished(objs.get(keyOf(n)))),
      deadline,
      undefined,
      { ...options },
    );
  const results =
    names.length <= BY_NAME
      ? await Promise.all(names.map((n) => watchCrds({ fieldSelector: `metadata.name=${n}` }, [n])))
      : [await watchCrds({}, names)];
  const seen = new Map<string, KubeObject>();
  for (const r of results) for (const [k, o] of r.objects) seen.set(k, o);
  const missing = names.filter((n) => !isEstablished(seen.get(keyOf(n))));
  if (missing.length > 0)
    throw new Error(`timed out waiting for CRDs to become Established: ${missing.join(', ')}`);
}

/** Up to this many CRDs are watched by name, each on its own; more, all CRDs at once. */
const BY_NAME = 4;

/** Rollout progress of one DaemonSet or Deployment. */
export interface Progress {
  ref: ObjectRef;
  /**
   * Its watch has listed it: until then (another kind's watch may answer first) its numbers are
   * not known, and reporters say "waiting" rather than a made-up 0/0.
   */
  seen: boolean;
  /** Pods (replicas) running the latest spec: updatedNumberScheduled, updatedReplicas. */
  updated: number;
  /** numberReady, readyReplicas. */
  ready: number;
  /** desiredNumberScheduled; a Deployment's spec.replicas. */
  desired: number;
  /** The controller has seen the latest spec and every replica is updated and available. */
  done: boolean;
}

/** Rollout state, as `kubectl rollout status` judges it; `undefined`: not seen (yet). */
export function rolloutProgress(ref: ObjectRef, obj: KubeObject | undefined): Progress {
  if (!obj) return { ref, seen: false, updated: 0, ready: 0, desired: 0, done: false };
  const generation = (obj.metadata.generation as number | undefined) ?? 0;
  const s = (obj.status ?? {}) as Record<string, number | undefined>;
  const observed = (s.observedGeneration ?? 0) >= generation;
  if (obj.kind === 'DaemonSet') {
    const desired = s.desiredNumberScheduled ?? 0;
    const updated = s.updatedNumberScheduled ?? 0;
    const done = observed && updated >= desired && (s.numberAvailable ?? 0) >= desired;
    return { ref, seen: true, updated, ready: s.numberReady ?? 0, desired, done };
  }
  const desired = ((obj.spec as { replicas?: number })?.replicas ?? 1) as number;
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const done = observed && updated >= desired && available >= desired && (s.replicas ?? desired) <= desired;
  return { ref, seen: true, updated, ready: s.readyReplicas ?? 0, desired, done };
}

/** A workload's numbers, or that it has not been seen yet. */
function shown(p: Progress): string {
  return p.seen ? `updated ${p.updated}/${p.desired} ready ${p.ready}/${p.desired}` : 'waiting';
}

/** `75s` → `1m15s`. */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export interface RolloutReporter {
  update(progress: Progress[]): void;
  finish(progress: Progress[]): void;
}

export interface ReporterOptions {
  /** When the wait began (ms since epoch), for the elapsed time. */
  start: number;
  /** The clock (tests pass their own). */
  now?: () => number;
}

/**
 * Progress for a terminal: one line per workload, redrawn in place on every change, each cut to
 * the terminal's width (a wrapped line would break the redraw), elapsed time included.
 */
export function ttyReporter(
  write: (s: string) => void,
  opts: ReporterOptions & { columns?: number },
): RolloutReporter {
  const now = opts.now ?? Date.now;
  let drawn = 0;
  const fit = (line: string) => {
    const width = Math.max(20, (opts.columns ?? 80) - 1);
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  };
  const draw = (ps: Progress[]) => {
    const elapsed = formatElapsed(now() - opts.start);
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    // The numbers first: a narrow terminal cuts the end of the line, the workload's name.
    for (const p of ps)
      out += `\x1b[2K${fit(`  ${p.done ? 'ok' : '..'} ${shown(p)}  ${elapsed}  ${showRef(p.ref)}`)}\n`;
    write(out);
    drawn = ps.length;
  };
  return { update: draw, finish: draw };
}

/**
 * Progress for logs, pipes and `TERM=dumb`: a line whenever a workload's numbers change, with the
 * time since the wait began. A workload not seen yet has no line (its watch has not listed it);
 * at the end, one still unseen is said to be.
 */
export function plainReporter(write: (s: string) => void, opts: ReporterOptions): RolloutReporter {
  const now = opts.now ?? Date.now;
  const last = new Map<string, string>();
  const report = (ps: Progress[], final: boolean) => {
    for (const p of ps) {
      if (!p.seen && !final) continue;
      const line = p.seen
        ? `${showRef(p.ref)} ${shown(p)}${p.done ? ' rolled out' : ''}`
        : `${showRef(p.ref)} not found`;
      if (last.get(refKey(p.ref)) === line) continue;
      last.set(refKey(p.ref), line);
      write(`${line} (${formatElapsed(now() - opts.start)})\n`);
    }
  };
  return { update: (ps) => report(ps, false), finish: (ps) => report(ps, true) };
}

/**
 * Watches every workload until all rolled out or `deadline`. One watch per kind and namespace,
 * filtered by netpack's label. Returns the last progress of each.
 */
export async function waitForRollout(
  client: ClusterClient,
  workloads: ObjectRef[],
  deadline: number,
  reporter: RolloutReporter,
  labelSelector: string,
): Promise<{ done: boolean; progress: Progress[] }> {
  const groups = new Map<string, ObjectRef[]>();
  for (const w of workloads) {
    const k = `${w.apiVersion}|${w.kind}|${w.namespace ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), w]);
  }
  const state = new Map<string, KubeObject | undefined>();
  const progress = () => workloads.map((w) => rolloutProgress(w, state.get(refKey(w))));
  const results = await Promise.all(
    [...groups.values()].map((refs) => {
      const first = refs[0]!;
      return watchUntil(
        client,
        first.apiVersion,
        first.kind,
        { namespace: first.namespace, labelSelector },
        (objs) => refs.every((r) => rolloutProgress(r, objs.get(refKey(r))).done),
        deadline,
        (objs) => {
          for (const r of refs) state.set(refKey(r), objs.get(refKey(r)));
          reporter.update(progress());
        },
      );
    }),
  );
  const final = progress();
  reporter.finish(final);
  return { done: results.every((r) => r.done), progress: final };
}
