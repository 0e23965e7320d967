/**
 * The shell of `netpack check`: removes what an earlier run left, deploys the probes, waits for
 * them, asks each for its results through the API server's pod proxy, and removes everything
 * again, whatever happens (success, failure, timeout, abort). The judging is pure (report.ts).
 */

import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { oneLine } from '../cluster/errors.ts';
import type { ClusterClient, KubeObject } from '../cluster/types.ts';
import { NODE_LOCAL_DNS_IP } from '../config/defaults.ts';
import { COMPONENT_LABEL } from '../render/types.ts';
import { type CheckSetup, type NodeProbes, planRuns } from './plan.ts';
import { encodePlan, TRANSFER_CAP } from './probe.ts';
import { buildReport, type CauseContext, type CheckReport } from './report.ts';
import {
  CHECK_COMPONENT,
  CHECK_NAMESPACE,
  checkObjects,
  HOST_PROBE,
  NAME_LABEL,
  POD_PROBE,
} from './resources.ts';
import { HOST_PROBE_PORT, PROBE_MAGIC, PROBE_PORT, type ProbeAnswer, type RunPlan } from './types.ts';

/** A check that could not run (exit 2): the cluster refused, or the time ran out, or it was interrupted. */
export class CheckError extends Error {
  constructor(
    message: string,
    readonly why: 'cluster' | 'timeout' | 'interrupted' | 'usage' = 'cluster',
  ) {
    super(message);
    this.name = 'CheckError';
  }
}

export interface CheckOptions {
  /** The bundled probe program. */
  probeScript: string;
  /** Only these nodes (`--nodes`). */
  nodes?: string[];
  sample?: number;
  external?: { host: string; port: number };
  /** The whole run, clean-up of leftovers and deployment included. */
  timeoutMs: number;
  testTimeoutMs: number;
  largeBytes: number;
  hostProbes: boolean;
  /** Test node-local-dns (the config has it on). */
  nodeLocalDns: boolean;
  clusterDomain: string;
  /** Cause context without node addresses (they come from the Nodes). */
  context: Omit<CauseContext, 'addresses'>;
  /** One line at a time, for stderr. */
  progress: (line: string) => void;
  /** Ctrl-C: stop, clean up, throw `CheckError('interrupted')`. */
  signal?: AbortSignal;
  /** How often to look whether a namespace an earlier run left is gone yet (it terminates in the background). */
  pollMs?: number;
}

const NAMESPACE_REF = { apiVersion: 'v1', kind: 'Namespace', name: CHECK_NAMESPACE };

/** Waits `ms`, or less when `signal` aborts (Node's timer promise; its AbortError is the signal's business). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

function isReady(pod: KubeObject): boolean {
  const status = (pod.status ?? {}) as {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
  };
  return (
    status.phase === 'Running' &&
    !!status.podIP &&
    (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** Why a probe pod is not ready, from its status (for ProbeNotReady). */
function notReadyCause(pod: KubeObject | undefined): string {
  if (!pod) return 'no probe pod was scheduled on this node';
  const status = (pod.status ?? {}) as {
    phase?: string;
    containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
  };
  const waiting = status.containerStatuses?.[0]?.state?.waiting;
  return [`phase ${status.phase ?? 'unknown'}`, waiting?.reason, waiting?.message].filter(Boolean).join(', ');
}

/** Removes a check namespace an earlier (killed) run left; refuses one that is not netpack's. */
async function removeLeftovers(
  client: ClusterClient,
  opts: CheckOptions,
  signal: AbortSignal,
): Promise<void> {
  const existing = await client.get(NAMESPACE_REF);
  if (!existing) return;
  if (existing.metadata.labels?.[COMPONENT_LABEL] !== CHECK_COMPONENT)
    throw new CheckError(
      `namespace ${CHECK_NAMESPACE} exists and is not a netpack check's (no ${COMPONENT_LABEL}=${CHECK_COMPONENT} label); netpack will not touch it`,
      'usage',
    );
  opts.progress(`netpack check: removing namespace ${CHECK_NAMESPACE} left by an earlier run`);
  await client.delete(NAMESPACE_REF, { dryRun: false });
  // A real namespace terminates in the background: wait until it is gone before making it again.
  while (!signal.aborted && (await client.get(NAMESPACE_REF))) await sleep(opts.pollMs ?? 500, signal);
}

function nodeAddress(node: KubeObject): string | undefined {
  const addresses =
    (node.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [];
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses[0]?.address;
}

/**
 * How long a probe's run can take at most: batches of tests, a large one being two transfers of
 * up to TRANSFER_CAP timeouts each. Beyond it the probe is taken as unreachable.
 */
function runBudgetMs(plan: RunPlan): number {
  const batches = Math.ceil(plan.tests.length / Math.max(1, plan.parallel));
  return batches * 2 * TRANSFER_CAP * plan.testTimeoutMs + 2000;
}

async function askProbe(
  client: ClusterClient,
  pod: string,
  port: number,
  plan: RunPlan,
  signal: AbortSignal,
): Promise<ProbeAnswer | string> {
  const path = `/api/v1/namespaces/${CHECK_NAMESPACE}/pods/${encodeURIComponent(pod)}:${port}/proxy/run?plan=${encodePlan(plan)}`;
  const a = await client.proxyGet(path, runBudgetMs(plan), signal);
  if (a.status !== 200)
    return a.status === 0 ? oneLine(a.body, 200) : `HTTP ${a.status}: ${oneLine(a.body, 200)}`;
  try {
    const answer = JSON.parse(a.body) as ProbeAnswer;
    if (answer.probe !== PROBE_MAGIC || !Array.isArray(answer.results)) return "the answer is not a probe's";
    return answer;
  } catch {
    return 'the answer is not JSON';
  }
}

/** Runs a check; everything it created is gone when it returns or throws. */
export async function runCheck(client: ClusterClient, opts: CheckOptions): Promise<CheckReport> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort('timeout'), opts.timeoutMs);
  const stop = () => deadline.abort('interrupted');
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });
  const signal = deadline.signal;
  // Every request to a probe listens to it, up to two per node at once.
  setMaxListeners(0, signal);
  const started = Date.now();
  let created = false;
  // Requests an abort left running: clean-up waits for them, so that a create landing late
  // cannot bring back what it deletes.
  const inflight = new Set<Promise<unknown>>();
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    if (signal.aborted) throw abortError(signal, opts);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    inflight.add(settled);
    void settled.then(() => inflight.delete(settled));
    return await new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal, opts));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  try {
    await guard(removeLeftovers(client, opts, signal));
    const allNodes = (await guard(client.list('v1', 'Node'))).items.filter(
      (n) => (n.metadata.labels?.['kubernetes.io/os'] ?? 'linux') === 'linux',
    );
    const known = new Set(allNodes.map((n) => n.metadata.name));
    const unknown = (opts.nodes ?? []).filter((n) => !known.has(n));
    if (unknown.length > 0)
      throw new CheckError(`--nodes: no Linux node named ${unknown.join(', ')} in the cluster`, 'usage');
    const nodes = allNodes.filter((n) => !opts.nodes || opts.nodes.includes(n.metadata.name));
    if (nodes.length === 0) throw new CheckError('the cluster has no Linux node to check', 'cluster');
    const names = nodes.map((n) => n.metadata.name).sort();

    created = true;
    for (const obj of checkObjects({
      probeScript: opts.probeScript,
      nodes: opts.nodes,
      hostProbes: opts.hostProbes,
    })) {
      const r = await guard(client.create(obj, { dryRun: false }));
      if (r === 'exists')
        throw new CheckError(
          `${obj.kind} ${CHECK_NAMESPACE}/${obj.metadata.name} already exists: is another check running?`,
        );
    }
    opts.progress(
      `netpack check: deployed probes to ${names.length} node${names.length === 1 ? '' : 's'} in namespace ${CHECK_NAMESPACE}`,
    );

    const service = await guard(
      client.get({ apiVersion: 'v1', kind: 'Service', namespace: CHECK_NAMESPACE, name: POD_PROBE }),
    );
    const serviceIp = (service?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    const kubeDns = await guard(
      client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'kube-system', name: 'kube-dns' }),
    );
    const kubeDnsIp = (kubeDns?.spec as { clusterIP?: string } | undefined)?.clusterIP;

    // Wait for the probes, leaving the tests the time they need.
    // (a large test's two transfers, each up to TRANSFER_CAP timeouts, and the answers' way back)
    const reserve = 2 * TRANSFER_CAP * opts.testTimeoutMs + 3000;
    const waitUntil = started + Math.max(opts.timeoutMs - reserve, opts.timeoutMs / 2);
    const ready = new Map<string, { pod?: KubeObject; host?: KubeObject }>();
    const seen = new Map<string, KubeObject>();
    const seenHost = new Map<string, KubeObject>();
    const pods = new Map<string, KubeObject>();
    let lastLine = '';
    /** Reads the pods seen so far; true when every probe is ready. */
    const allReady = (): boolean => {
      ready.clear();
      for (const pod of pods.values()) {
        const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
        const app = pod.metadata.labels?.[NAME_LABEL];
        if (!node || !names.includes(node)) continue;
        if (app === POD_PROBE) seen.set(node, pod);
        if (app === HOST_PROBE) seenHost.set(node, pod);
        if (!isReady(pod)) continue;
        const entry = ready.get(node) ?? {};
        if (app === POD_PROBE) entry.pod = pod;
        if (app === HOST_PROBE) entry.host = pod;
        ready.set(node, entry);
      }
      const podsReady = names.filter((n) => ready.get(n)?.pod).length;
      const hostsReady = names.filter((n) => ready.get(n)?.host).length;
      const line = `netpack check: probes ready: ${podsReady}/${names.length}${opts.hostProbes ? `, host probes ${hostsReady}/${names.length}` : ''}`;
      if (line !== lastLine) opts.progress(line);
      lastLine = line;
      return podsReady === names.length && (!opts.hostProbes || hostsReady === names.length);
    };
    // List, then watch from there until every probe is ready or the wait's share of the time is up.
    const waiting = new AbortController();
    const waitTimer = setTimeout(() => waiting.abort(), Math.max(0, waitUntil - Date.now()));
    const stopWaiting = () => waiting.abort();
    signal.addEventListener('abort', stopWaiting, { once: true });
    try {
      let resourceVersion: string | undefined;
      while (!waiting.signal.aborted) {
        if (resourceVersion === undefined) {
          const listed = await guard(client.list('v1', 'Pod', { namespace: CHECK_NAMESPACE }));
          pods.clear();
          for (const p of listed.items) pods.set(p.metadata.name, p);
          resourceVersion = listed.resourceVersion;
        }
        if (allReady()) break;
        const end = await client.watch(
          'v1',
          'Pod',
          { namespace: CHECK_NAMESPACE, resourceVersion },
          (event) => {
            resourceVersion =
              (event.object.metadata.resourceVersion as string | undefined) ?? resourceVersion;
            if (event.type === 'DELETED') pods.delete(event.object.metadata.name);
            else if (event.type === 'ADDED' || event.type === 'MODIFIED')
              pods.set(event.object.metadata.name, event.object);
            else return;
            if (allReady()) waiting.abort();
          },
          waiting.signal,
        );
        if (end === 'expired') resourceVersion = undefined;
      }
    } finally {
      clearTimeout(waitTimer);
      signal.removeEventListener('abort', stopWaiting);
    }
    if (signal.aborted) throw abortError(signal, opts);

    const notReady: Record<string, string> = {};
    const hostNotReady: Record<string, string> = {};
    const probes: NodeProbes[] = [];
    for (const n of names) {
      const r = ready.get(n);
      if (opts.hostProbes && !r?.host) hostNotReady[n] = notReadyCause(seenHost.get(n));
      if (!r?.pod) {
        notReady[n] = notReadyCause(seen.get(n));
        continue;
      }
      const ip = (p: KubeObject) => (p.status as { podIP: string }).podIP;
      probes.push({
        node: n,
        pod: { name: r.pod.metadata.name, ip: ip(r.pod) },
        ...(r.host ? { host: { name: r.host.metadata.name, ip: ip(r.host) } } : {}),
      });
    }
    if (probes.length === 0)
      throw new CheckError(
        `no probe became ready in time: ${Object.entries(notReady)
          .map(([n, w]) => `${n}: ${w}`)
          .join('; ')}`,
        'timeout',
      );

    const setup: CheckSetup = {
      probes,
      ...(serviceIp && serviceIp !== 'None'
        ? { service: { ip: serviceIp, name: `${POD_PROBE}.${CHECK_NAMESPACE}.svc.${opts.clusterDomain}` } }
        : {}),
      ...(opts.nodeLocalDns ? { nodeLocalDns: NODE_LOCAL_DNS_IP } : {}),
      ...(kubeDnsIp && kubeDnsIp !== 'None' ? { kubeDns: kubeDnsIp } : {}),
      ...(opts.external ? { external: opts.external } : {}),
      ...(opts.sample !== undefined ? { sample: opts.sample } : {}),
      largeBytes: opts.largeBytes,
      testTimeoutMs: opts.testTimeoutMs,
      parallel: 8,
    };
    const plans = planRuns(setup);
    opts.progress(
      `netpack check: running the tests from ${probes.length} node${probes.length === 1 ? '' : 's'}`,
    );
    const answers = new Map<string, { pod?: ProbeAnswer | string; host?: ProbeAnswer | string }>();
    let answered = 0;
    await guard(
      Promise.all(
        probes.map(async (p) => {
          const plan = plans.get(p.node)!;
          const [pod, host] = await Promise.all([
            askProbe(client, p.pod.name, PROBE_PORT, plan.pod, signal),
            p.host && plan.host
              ? askProbe(client, p.host.name, HOST_PROBE_PORT, plan.host, signal)
              : undefined,
          ]);
          answers.set(p.node, { pod, ...(host !== undefined ? { host } : {}) });
          opts.progress(`netpack check: results from ${++answered}/${probes.length} nodes`);
        }),
      ),
    );
    const addresses: Record<string, string> = {};
    for (const n of nodes) {
      const a = nodeAddress(n);
      if (a) addresses[n.metadata.name] = a;
    }
    return buildReport({
      nodes: names,
      notReady,
      hostNotReady,
      plans,
      answers,
      context: { ...opts.context, addresses },
    });
  } catch (e) {
    if (signal.aborted && !(e instanceof CheckError)) throw abortError(signal, opts);
    throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stop);
    if (created) {
      await Promise.all(inflight);
      await cleanUp(client, opts);
    }
  }
}

function abortError(signal: AbortSignal, opts: CheckOptions): CheckError {
  return signal.reason === 'timeout'
    ? new CheckError(
        `the check did not finish within --timeout (${Math.round(opts.timeoutMs / 1000)}s)`,
        'timeout',
      )
    : new CheckError('interrupted', 'interrupted');
}

/** Deletes the check's namespace (and with it everything in it). Never throws: says what is left instead. */
async function cleanUp(client: ClusterClient, opts: CheckOptions): Promise<void> {
  try {
    await client.delete(NAMESPACE_REF, { dryRun: false });
    opts.progress(`netpack check: removed namespace ${CHECK_NAMESPACE}`);
  } catch (e) {
    opts.progress(
      `netpack check: could not remove namespace ${CHECK_NAMESPACE} (${(e as Error).message}); the next check removes it, or: kubectl delete namespace ${CHECK_NAMESPACE}`,
    );
  }
}
