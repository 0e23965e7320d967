/**
 * Trains the CLI's V8 code caches (dist/netpack-core.cjs.v8-<version>.cache and the offline one,
 * see scripts/launcher.cjs): runs each bundle in training mode on the commands users run most —
 * validate, render and explain, and for the whole CLI also apply, re-apply and diff against the
 * test API server — and lets it save the code V8 compiled for them. Run by scripts/bundle.mjs: `node --import tsx scripts/train-code-cache.ts dist`.
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
  const offline = [
    ['validate', '-f', calico],
    ['render', '-f', weave],
    ['render', '-f', calico],
    ['explain', '-f', calico],
  ];
  const cluster = [
    ['apply', '-f', calico, ...kube, '--no-wait'],
    ['apply', '-f', calico, ...kube, '--no-wait'],
    ['diff', '-f', calico, ...kube],
  ];
  // Each bundle on what runs it: the offline one on offline commands, the whole CLI on both.
  for (const [core, commands] of [
    ['offline', offline],
    ['full', [...offline, ...cluster]],
  ] as const) {
    const list = join(work, `${core}.json`);
    writeFileSync(list, JSON.stringify(commands));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NETPACK_TRAIN_CODE_CACHE: list,
      NETPACK_TRAIN_CORE: core,
    };
    delete env.NODE_OPTIONS;
    // Asynchronous: the API server answers from this process.
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [join(dist, 'netpack.cjs')], { env, stdio: 'inherit' });
      child.on('close', done);
    });
    if (code !== 0) process.exitCode = 1;
  }
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
