/**
 * Trains the CLI's V8 code cache (dist/netpack-core.cjs.cache, see scripts/launcher.cjs): runs the
 * bundled CLI in training mode on the commands users run most — validate, render, explain, and
 * apply, re-apply, diff and status against the test API server — and lets it save the code V8
 * compiled for them. Run by scripts/bundle.mjs: `node --import tsx scripts/train-code-cache.ts dist`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeApiServer } from '../test/fake-apiserver/index.ts';

const dist = resolve(process.argv[2] ?? 'dist');
const work = mkdtempSync(join(tmpdir(), 'netpack-train-'));
const server = await startFakeApiServer({ nodes: 2 });
try {
  const calico = join(work, 'calico.yml');
  writeFileSync(calico, 'network:\n  provider: calico\n  pod_network_cidr: 10.244.0.0/16\n');
  const weave = join(work, 'weave.yml');
  writeFileSync(weave, 'network:\n  provider: weave\n');
  const kube = ['--kubeconfig', server.kubeconfigPath];
  const commands = [
    ['validate', '-f', calico],
    ['render', '-f', weave],
    ['render', '-f', calico],
    ['explain', '-f', calico],
    ['apply', '-f', calico, ...kube, '--no-wait'],
    ['apply', '-f', calico, ...kube, '--no-wait'],
    ['diff', '-f', calico, ...kube],
  ];
  const list = join(work, 'commands.json');
  writeFileSync(list, JSON.stringify(commands));
  const env: NodeJS.ProcessEnv = { ...process.env, NETPACK_TRAIN_CODE_CACHE: list };
  delete env.NODE_OPTIONS;
  // Asynchronous: the API server answers from this process.

  const code = await new Promise<number | null>((done) => {
    const child = spawn(process.execPath, [join(dist, 'netpack.cjs')], { env, stdio: 'inherit' });
    child.on('close', done);
  });
  if (code !== 0) process.exitCode = 1;
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
