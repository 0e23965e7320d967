/**
 * Which cluster to talk to, by kubectl's rules: `--kubeconfig`, else `$KUBECONFIG` (a list,
 * merged: files that do not exist are skipped, the first file to name an entry or a
 * current-context wins), else `~/.kube/config`, else the in-cluster service account; then
 * `--context`. Every problem is one line that names the file and the entry, and is a
 * `KubeconfigError` (exit 2: the command line or its environment is wrong).
 * client-node is imported here, lazily: `validate` and `render` never pay for it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { FileRefused, readRegularFile, refuseNonRegular } from '../files.ts';
import { KubeconfigError } from './errors.ts';

export { KubeconfigError };

export interface KubeconfigOptions {
  /** `--kubeconfig`: this file only. */
  kubeconfig?: string;
  /** `--context`: a context of the kubeconfig instead of its current-context. */
  context?: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where the kubeconfig comes from, for messages. */
export type KubeconfigSource = 'flag' | 'env' | 'home' | 'in-cluster';

/** What a client made from the kubeconfig talks to, for messages ("is this the right cluster?"). */
export interface KubeTarget {
  source: KubeconfigSource;
  /** The files read, in order (none for in-cluster). */
  files: string[];
  /** Files of `$KUBECONFIG` that do not exist and were skipped, as kubectl does. */
  skipped: string[];
  context: string;
  cluster: string;
  user?: string;
  server: string;
}

/** How to point netpack elsewhere, the end of most messages. */
const ELSEWHERE = 'point --kubeconfig/KUBECONFIG at the right file';

/**
 * client-node reads a user's `token-file` while it parses the kubeconfig, without looking at it
 * first: a FIFO there would block for ever. Looked at here, before.
 */
function refuseSpecialTokenFiles(file: string, text: string): void {
  if (!text.includes('token-file')) return;
  let users: unknown;
  try {
    users = (parseYaml(text) as { users?: unknown } | null)?.users;
  } catch {
    return; // client-node reports what is wrong with the text
  }
  for (const u of Array.isArray(users) ? users : []) {
    const path = (u as { user?: Record<string, unknown> } | null)?.user?.['token-file'];
    if (typeof path !== 'string' || path === '') continue;
    try {
      refuseNonRegular(path);
    } catch (e) {
      throw new KubeconfigError(
        `the token-file of user "${(u as { name?: string }).name}" in the kubeconfig ${file}: ${(e as Error).message}: fix it, or ${ELSEWHERE}`,
      );
    }
  }
}

/** Reads and parses one kubeconfig file; every failure names the file. */
function readKubeconfigFile(KubeConfigClass: new () => KubeConfig, file: string): KubeConfig {
  let text: string;
  try {
    // Checked before it is opened: a FIFO or a device is refused, not read for ever.
    text = readRegularFile(file);
  } catch (e) {
    if (!(e instanceof FileRefused)) throw e;
    const why = e.reason === 'directory' ? 'is a directory, not a file' : e.why;
    throw new KubeconfigError(`the kubeconfig ${file} ${why}: ${ELSEWHERE}`);
  }
  refuseSpecialTokenFiles(file, text);
  const kc = new KubeConfigClass();
  try {
    kc.loadFromString(text);
  } catch (e) {
    const err = e as Error & { reason?: string; mark?: { line: number; column: number } };
    if (err.name === 'YAMLException' && err.mark) {
      throw new KubeconfigError(
        `${file}:${err.mark.line + 1}:${err.mark.column + 1}: the kubeconfig is not valid YAML: ${err.reason ?? err.message}; fix it, or ${ELSEWHERE}`,
      );
    }
    // js-yaml reads an empty document as undefined (a written-out null as null), where
    // client-node expects a mapping.
    if (err instanceof TypeError) {
      const blank = text.split(/\r?\n/).every((l) => /^\s*(#.*)?$/.test(l) || /^(---|\.\.\.)\s*$/.test(l));
      throw new KubeconfigError(
        blank
          ? `the kubeconfig ${file} is empty: write a kubeconfig into it, or ${ELSEWHERE}`
          : `the kubeconfig ${file} holds null, not a kubeconfig (a mapping with clusters, users and contexts): fix it, or ${ELSEWHERE}`,
      );
    }
    // client-node's own checks of each entry: "clusters[0].cluster.server is missing".
    throw new KubeconfigError(
      `the kubeconfig ${file} has a broken entry: ${err.message}; fix it, or ${ELSEWHERE}`,
    );
  }
  // Relative certificate and key paths are relative to the file, as kubectl reads them.
  kc.makePathsAbsolute(dirname(file));
  return kc;
}

/**
 * Merges files by kubectl's rules: the first file to define a context, cluster or user of a
 * name wins (later ones are ignored, not an error), and so does the first current-context.
 * Remembers which file each entry came from.
 */
function mergeFiles(
  KubeConfigClass: new () => KubeConfig,
  files: readonly string[],
): { kc: KubeConfig; origin: Map<string, string> } {
  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: Context[] = [];
  let currentContext: string | undefined;
  // `cluster:NAME`, `user:NAME`, `context:NAME`, `current-context` → file.
  const origin = new Map<string, string>();
  for (const file of files) {
    const one = readKubeconfigFile(KubeConfigClass, file);
    const add = <T extends { name: string }>(kind: string, into: T[], items: readonly T[]) => {
      for (const item of items) {
        if (origin.has(`${kind}:${item.name}`)) continue;
        origin.set(`${kind}:${item.name}`, file);
        into.push(item);
      }
    };
    add('cluster', clusters, one.getClusters());
    add('user', users, one.getUsers());
    add('context', contexts, one.getContexts());
    const current = one.getCurrentContext();
    if (!currentContext && current) {
      currentContext = current;
      origin.set('current-context', file);
    }
  }
  const kc = new KubeConfigClass();
  kc.loadFromOptions({ clusters, users, contexts, currentContext });
  return { kc, origin };
}

const names = (items: readonly { name: string }[]): string => items.map((i) => i.name).join(', ') || 'none';

/** Which files to read, by kubectl's order: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster. */
function findSources(
  opts: KubeconfigOptions,
  env: NodeJS.ProcessEnv,
  home: string,
): { source: KubeconfigSource; files: string[]; skipped: string[] } {
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig))
      throw new KubeconfigError(
        `--kubeconfig ${opts.kubeconfig}: no such file; check the path, or leave --kubeconfig out to use KUBECONFIG or ~/.kube/config`,
      );
    return { source: 'flag', files: [opts.kubeconfig], skipped: [] };
  }
  if (env.KUBECONFIG) {
    const files: string[] = [];
    const skipped: string[] = [];
    // kubectl skips the files of the list that do not exist, and reads each file once.
    for (const file of new Set(env.KUBECONFIG.split(delimiter).filter(Boolean))) {
      if (existsSync(file)) files.push(file);
      else skipped.push(file);
    }
    if (files.length === 0)
      throw new KubeconfigError(
        `KUBECONFIG=${env.KUBECONFIG}: ${skipped.length === 1 ? 'that file does not exist' : `none of its files exists (${skipped.join(', ')})`}; fix KUBECONFIG, or pass --kubeconfig FILE`,
      );
    return { source: 'env', files, skipped };
  }
  const homeFile = join(home, '.kube', 'config');
  if (existsSync(homeFile)) return { source: 'home', files: [homeFile], skipped: [] };
  if (existsSync(SERVICE_ACCOUNT_TOKEN)) return { source: 'in-cluster', files: [], skipped: [] };
  throw new KubeconfigError(
    'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
  );
}

/** The in-cluster service account's configuration (client-node reads the environment itself). */
function inCluster(KubeConfigClass: new () => KubeConfig): KubeConfig {
  if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT)
    throw new KubeconfigError(
      `there is a service account token (${SERVICE_ACCOUNT_TOKEN}) but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: run inside a pod, or pass --kubeconfig FILE`,
    );
  const kc = new KubeConfigClass();
  kc.loadFromCluster();
  return kc;
}

/** How messages name the configuration: the file, every file of a merged list, or in-cluster. */
interface Naming {
  /** `the kubeconfig F`, `the kubeconfig files F, G (KUBECONFIG)`, `the in-cluster configuration`. */
  where: string;
  /** The files, comma-separated (or `the in-cluster configuration`). */
  named: string;
  /** The file an entry (`cluster:NAME`, `context:NAME`, `current-context`) came from. */
  fileOf: (key: string) => string;
}

function naming(source: KubeconfigSource, files: readonly string[], origin: Map<string, string>): Naming {
  const where =
    source === 'in-cluster'
      ? 'the in-cluster configuration'
      : files.length === 1
        ? `the kubeconfig ${files[0]}`
        : `the kubeconfig files ${files.join(', ')} (KUBECONFIG)`;
  const named = source === 'in-cluster' ? 'the in-cluster configuration' : files.join(', ');
  return { where, named, fileOf: (key) => origin.get(key) ?? where };
}

/** The context to use: `--context`, else the current-context; made current in `kc`. */
function pickContext(kc: KubeConfig, opts: KubeconfigOptions, n: Naming): string {
  const contexts = kc.getContexts();
  if (contexts.length === 0)
    throw new KubeconfigError(`${n.where} has no contexts: add one, or ${ELSEWHERE}`);
  if (opts.context) {
    if (!kc.getContextObject(opts.context))
      throw new KubeconfigError(
        `--context ${opts.context}: no such context (the kubeconfig has: ${names(contexts)}) in ${n.named}: pass one of those, or ${ELSEWHERE}`,
      );
    kc.setCurrentContext(opts.context);
    return opts.context;
  }
  const current = kc.getCurrentContext();
  if (!current)
    throw new KubeconfigError(
      `${n.where} sets no current-context: pass --context NAME (it has: ${names(contexts)}), or set one with kubectl config use-context NAME`,
    );
  if (!kc.getContextObject(current))
    throw new KubeconfigError(
      `the current-context "${current}" of ${n.fileOf('current-context')} names no context (${n.where} has: ${names(contexts)}): pass --context NAME, or set current-context to one of those`,
    );
  return current;
}

/** The context's cluster and user exist, and the cluster's server is an http(s) URL. */
function contextEntries(kc: KubeConfig, contextName: string, n: Naming): { cluster: Cluster; user?: User } {
  const context = kc.getContextObject(contextName)!;
  const contextAt = `context "${contextName}" of ${n.fileOf(`context:${contextName}`)}`;
  const cluster = kc.getCluster(context.cluster);
  if (!cluster)
    throw new KubeconfigError(
      `${contextAt} names cluster "${context.cluster}", which ${n.where} does not define (clusters: ${names(kc.getClusters())}): add it under clusters, correct the context, or pass --context NAME`,
    );
  const user = context.user ? kc.getUser(context.user) : undefined;
  if (context.user && !user)
    throw new KubeconfigError(
      `${contextAt} names user "${context.user}", which ${n.where} does not define (users: ${names(kc.getUsers())}): add it under users, correct the context, or pass --context NAME`,
    );
  let url: URL | undefined;
  try {
    url = new URL(cluster.server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new KubeconfigError(
      `cluster "${cluster.name}" of ${n.fileOf(`cluster:${cluster.name}`)} has server "${cluster.server}", which is not an https:// or http:// URL: correct it`,
    );
  return { cluster, ...(user ? { user } : {}) };
}

/** client-node reads these files itself, without looking first: a FIFO there would block. */
function refuseSpecialCredentialFiles(cluster: Cluster, user: User | undefined, where: string): void {
  for (const [entry, path] of [
    [`cluster "${cluster.name}" certificate-authority`, cluster.caFile],
    [`user "${user?.name}" client-certificate`, user?.certFile],
    [`user "${user?.name}" client-key`, user?.keyFile],
  ] as const) {
    if (!path) continue;
    try {
      refuseNonRegular(path);
    } catch (e) {
      throw new KubeconfigError(`the ${entry} of ${where}: ${(e as Error).message}: fix it, or ${ELSEWHERE}`);
    }
  }
}

export async function loadKubeConfig(
  opts: KubeconfigOptions,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): Promise<{ kc: KubeConfig; source: KubeconfigSource; warnings: string[]; target: KubeTarget }> {
  // Only the KubeConfig module: the package index also loads every generated API client, which
  // netpack does not use (it speaks raw HTTP) and which triples the import time.
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const { source, files, skipped } = findSources(opts, env, home);
  const { kc, origin } =
    source === 'in-cluster'
      ? { kc: inCluster(KubeConfig), origin: new Map<string, string>() }
      : mergeFiles(KubeConfig, files);
  // Messages name the file, or every file of a merged KUBECONFIG list.
  const n = naming(source, files, origin);
  const contextName = pickContext(kc, opts, n);
  const { cluster, user } = contextEntries(kc, contextName, n);
  refuseSpecialCredentialFiles(cluster, user, n.where);
  const warnings: string[] = [];
  if (cluster.skipTLSVerify && cluster.server.startsWith('https:'))
    warnings.push(
      `TLS certificate of ${cluster.server} is NOT verified: the kubeconfig sets insecure-skip-tls-verify`,
    );
  const target: KubeTarget = {
    source,
    files,
    skipped,
    context: contextName,
    cluster: cluster.name,
    ...(user ? { user: user.name } : {}),
    server: cluster.server,
  };
  return { kc, source, warnings, target };
}

/** `context "fake" (server http://127.0.0.1:1234, kubeconfig /tmp/kubeconfig)`, for messages. */
export function describeTarget(t: KubeTarget): string {
  const from =
    t.source === 'in-cluster'
      ? 'the in-cluster service account'
      : `${t.files.length === 1 ? 'kubeconfig' : 'kubeconfig files'} ${t.files.join(', ')}`;
  return `context "${t.context}" (server ${t.server}, ${from})`;
}
