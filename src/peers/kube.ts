/**
 * The side-car's shell: the real `NodeSource` (on `@kubernetes/client-node`, loaded lazily so
 * the rest of the CLI never pays for it), the iptables `DnatApplier` and the bridge address.
 */
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { type DnatRule, dnatCleanupCommands, dnatHookCommands, dnatRestoreInput } from './dnat.ts';
import type { NodeListResult, NodeSource } from './sidecar.ts';

const PAGE = 500;

type ClientNode = typeof import('@kubernetes/client-node');

/**
 * The package index is ESM-only. The shipped CLI runs as a classic script compiled with a code
 * cache (scripts/launcher.cjs), where `import()` has no loader, so the launcher lends its own;
 * from the sources (tsx, the library) the plain dynamic import serves.
 */
function importClientNode(): Promise<ClientNode> {
  const lent = (globalThis as { netpackImport?: (specifier: string) => Promise<unknown> }).netpackImport;
  return lent ? (lent('@kubernetes/client-node') as Promise<ClientNode>) : import('@kubernetes/client-node');
}

/**
 * Nodes from the cluster: `kubeconfig` when given, else KUBECONFIG / ~/.kube/config, else the
 * pod's service account (in-cluster).
 */
export async function kubeNodeSource(kubeconfig?: string, watchTimeoutSeconds = 300): Promise<NodeSource> {
  const k8s = await importClientNode();
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(k8s.CoreV1Api);
  return {
    async list(): Promise<NodeListResult> {
      const items: NodeListResult['items'] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      do {
        const page = await api.listNode({ limit: PAGE, _continue: cont });
        items.push(...(page.items as NodeListResult['items']));
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return { items, resourceVersion };
    },
    watch(resourceVersion, onEvent, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return resolve();
        const watch = new k8s.Watch(kc);
        watch
          .watch(
            '/api/v1/nodes',
            { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds },
            (type, object) => onEvent(type, object),
            (err) => (err && !signal.aborted ? reject(err) : resolve()),
          )
          .then((ctrl) => signal.addEventListener('abort', () => ctrl.abort(), { once: true }), reject);
      });
    },
    async annotateNode(name, annotations) {
      await api.patchNode(
        { name, body: { metadata: { annotations } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    },
  };
}

function run(cmd: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr.trim()}`)),
    );
    // A tool that exits without reading its input (e.g. on a usage error) closes the pipe: the
    // EPIPE must not kill the side-car; the exit code above says what went wrong.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Kubelet DNAT through iptables-restore (our chain only) and iptables (the jumps to it). */
export function iptablesDnat(iptables = 'iptables', iptablesRestore = 'iptables-restore') {
  return {
    async apply(rules: readonly DnatRule[]): Promise<void> {
      await run(iptablesRestore, ['--noflush', '-w'], dnatRestoreInput(rules));
      for (const hook of dnatHookCommands()) {
        try {
          await run(iptables, hook.check);
        } catch {
          await run(iptables, hook.insert);
        }
      }
    },
    async cleanup(): Promise<void> {
      const [unhookOutput, unhookPrerouting, flush, remove] = dnatCleanupCommands();
      // Missing jumps are fine (never added, or removed by someone else).
      for (const args of [unhookOutput!, unhookPrerouting!]) await run(iptables, args).catch(() => {});
      try {
        await run(iptables, flush!);
      } catch {
        return; // no chain: nothing left to remove
      }
      await run(iptables, remove!);
    },
  };
}

/** IPv4 address of the host's `weave` bridge, once the router has created it. */
export function weaveBridgeIp(iface = 'weave'): string | undefined {
  return networkInterfaces()[iface]?.find((a) => a.family === 'IPv4')?.address;
}
