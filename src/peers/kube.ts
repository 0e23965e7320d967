/**
 * The side-car's shell: the real `NodeSource` (netpack's own API client, src/cluster/client.ts,
 * so the side-car script bundles into one file with no node_modules beside it), the iptables
 * `DnatApplier` and the bridge address.
 */
import { networkInterfaces } from 'node:os';
import { nodeChildProcess } from '../builtin.ts';
import { connect } from '../cluster/connect.ts';
import { ApiError } from '../cluster/types.ts';
import { type DnatRule, dnatCleanupCommands, dnatHookCommands, dnatRestoreInput } from './dnat.ts';
import type { NodeObject } from './node.ts';
import type { NodeSource } from './sidecar.ts';

/**
 * Nodes from the cluster: `kubeconfig` when given, else KUBECONFIG / ~/.kube/config, else the
 * pod's service account (in-cluster), by the same rules as every other command.
 */
export async function kubeNodeSource(
  kubeconfig?: string,
  watchTimeoutSeconds = 300,
  log: (line: string) => void = () => {},
): Promise<NodeSource & { close(): void }> {
  // One attempt per request: the side-car retries with its own backoff and counts each failure
  // in its metrics, which the client's own retries would hide.
  const open = () =>
    connect(
      { ...(kubeconfig ? { kubeconfig } : {}), retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } },
      log,
    );
  let client = await open();
  // The in-cluster credentials are a service-account token that kubelet rotates in its file;
  // the client reads it once. When the API server refuses us, the next attempt starts from a
  // client made afresh (the current token), so a long-running side-car outlives its first token.
  let stale = false;
  const current = async () => {
    if (stale) {
      stale = false;
      client.close();
      client = await open();
    }
    return client;
  };
  const source: NodeSource = {
    async list() {
      try {
        const { items, resourceVersion } = await (await current()).list('v1', 'Node');
        return { items: items as NodeObject[], resourceVersion };
      } catch (e) {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) stale = true;
        throw e;
      }
    },
    async watch(resourceVersion, onEvent, signal) {
      let events = 0;
      const started = Date.now();
      const end = await (await current()).watch(
        'v1',
        'Node',
        { resourceVersion, timeoutSeconds: watchTimeoutSeconds },
        (e) => {
          events++;
          onEvent(e.type, e.object);
        },
        signal,
      );
      // The client reports a 410 as how the watch ended; the side-car reads it as the API
      // server's ERROR event, and lists again.
      if (end === 'expired') onEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
      // A watch the server refused (401, 403, 5xx) also ends as 'closed': at once, with nothing
      // delivered. That is a failure, so the side-car backs off instead of watching again at
      // once, and the next attempt uses fresh credentials.
      else if (
        end === 'closed' &&
        events === 0 &&
        !signal.aborted &&
        Date.now() - started < (watchTimeoutSeconds * 1000) / 2
      ) {
        stale = true;
        throw new Error('the node watch was refused or cut before any event');
      }
    },
    async annotateNode(name, annotations) {
      // Server-side apply of just these annotations (the RBAC verb is patch): the node is the
      // one this pod runs on, so it exists.
      await (await current()).apply(
        { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations } },
        { dryRun: false, force: true },
      );
    },
  };
  return Object.assign(source, { close: () => client.close() });
}

function run(cmd: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = nodeChildProcess().spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
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
