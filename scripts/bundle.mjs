// Builds the CLI as it ships:
// - dist/netpack-core.cjs: the whole CLI bundled into one minified CommonJS file, so Node reads
//   one file instead of resolving a few hundred modules (zod, yaml, commander, ...);
// - dist/netpack.cjs: the `bin`, a small launcher that compiles the core with a V8 code cache;
// - dist/netpack-core.cjs.v8-<version>.cache: that code cache (for the Node that built it), trained by running the commands users run most
//   (scripts/train-code-cache.ts, against the test API server) unless --no-code-cache is given.
// One CommonJS file because V8's code cache (vm.Script cachedData) works for classic scripts
// only; Node 20 has no code cache for ES modules. client-node's KubeConfig is bundled too but
// initialised on first use (a dynamic import), so only cluster commands pay for it. The peering
// side-car is bundled on its own into dist/netpack-sidecar.cjs (see bundleSidecar).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleProbe } from './probe-bundle.mjs';

const scripts = dirname(fileURLToPath(import.meta.url));
const clientNodeDist = '/@kubernetes/client-node/dist/';

// Output of earlier layouts (an ES module bundle with lazy chunks) would only confuse.
rmSync('dist/chunks', { recursive: true, force: true });
rmSync('dist/netpack.mjs.map', { force: true });

const nodeFetchShim = {
  // client-node imports `node-fetch` for `Headers` (in KubeConfig.applyToFetchOptions) and its
  // generated API clients; netpack calls neither. Node's own fetch classes serve.
  name: 'node-fetch-shim',
  setup(b) {
    b.onResolve({ filter: /^node-fetch$/ }, (args) =>
      args.importer.includes(clientNodeDist) ? { path: join(scripts, 'shims', 'node-fetch.mjs') } : undefined,
    );
  },
};

const genHelpersOnly = {
  // KubeConfig imports two helpers from the generated API's index, which re-exports models and
  // clients for every kind (3.3 MB). Pointing that one import at the two modules that define
  // them keeps the rest out.
  name: 'client-node-gen-helpers-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      args.importer.endsWith(`${clientNodeDist}config.js`)
        ? { path: 'gen-helpers', namespace: 'netpack', pluginData: dirname(args.importer) }
        : undefined,
    );
    b.onLoad({ filter: /^gen-helpers$/, namespace: 'netpack' }, (args) => ({
      contents:
        "export { createConfiguration } from './gen/configuration.js';\nexport { ServerConfiguration } from './gen/servers.js';\n",
      resolveDir: args.pluginData,
      loader: 'js',
    }));
  },
};

/**
 * One core: the whole CLI (run.ts) or the commands that never talk to a cluster (offline.ts).
 * Only the whole CLI gets a source map: `--debug` runs it (whatever the command) with source maps
 * on, so its stack traces name src/ lines. The map leaves the sources out (they are not shipped;
 * the positions are what counts), which keeps it a third of the size.
 */
const bundleCore = (entry, outfile, sourcemap) =>
  build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap,
    sourcesContent: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The file is one function expression taking CommonJS's module arguments, which the launcher
    // compiles and calls: V8 compiles the file's text as it is, with no wrapper added at run time.
    // The one module that reads a file beside itself (the Calico CRDs) finds it from the bundle.
    define: { 'import.meta.url': '__netpackUrl' },
    banner: {
      js: "(function (exports, require, module, __filename, __dirname) {\nvar __netpackUrl = require('node:url').pathToFileURL(__filename).href;",
    },
    footer: { js: '})' },
    logLevel: 'warning',
    plugins: [
      nodeFetchShim,
      {
        name: 'client-node-index-external',
        setup(b) {
          b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) => ({
            path: args.path,
            external: true,
          }));
        },
      },
      genHelpersOnly,
      {
        // commander loads child_process (with net, stream and dgram) for executable subcommands,
        // which netpack has none of: a stand-in loads it if a property is ever read.
        name: 'commander-child-process-on-use',
        setup(b) {
          b.onResolve({ filter: /^node:child_process$/ }, (args) =>
            args.importer.includes('/node_modules/commander/')
              ? { path: 'child_process', namespace: 'netpack-on-use' }
              : undefined,
          );
          b.onLoad({ filter: /^child_process$/, namespace: 'netpack-on-use' }, () => ({
            contents:
              "let real;\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });\n",
            loader: 'js',
          }));
        },
      },
      {
        // client-node's KubeConfig imports modules only some clusters need: the agents of a
        // kubeconfig's proxy-url (SOCKS through socks-proxy-agent, with socks, agent-base and debug;
        // HTTP through hpagent), node:https (with tls and crypto) for its https.Agent, which a
        // plain-http server never asks for, and what its auth providers run (node:child_process,
        // jsonpath-plus, openid-client): ~7 ms of every cluster command's start. A stand-in
        // exports their names and loads the real module when a class is first read (`get`) or a
        // function first called (`call`, as client-node keeps `spawn` when a KubeConfig is made).
        name: 'client-node-modules-on-use',
        setup(b) {
          const onUse = {
            'socks-proxy-agent': { get: ['SocksProxyAgent'] },
            hpagent: { get: ['HttpProxyAgent', 'HttpsProxyAgent'] },
            'node:https': { get: ['Agent'] },
            'node:child_process': { call: ['spawn', 'spawnSync', 'execSync'] },
            'jsonpath-plus': { call: ['JSONPath'] },
            'openid-client': { call: ['discovery', 'refreshTokenGrant'] },
          };
          b.onResolve(
            {
              filter:
                /^(socks-proxy-agent|hpagent|node:https|node:child_process|jsonpath-plus|openid-client)$/,
            },
            (args) =>
              args.importer.includes(clientNodeDist)
                ? { path: args.path, namespace: 'netpack-on-use', pluginData: dirname(args.importer) }
                : undefined,
          );
          b.onLoad({ filter: /.*/, namespace: 'netpack-on-use' }, (args) => {
            const names = onUse[args.path];
            if (!names) return undefined;
            const members = [
              ...(names.get ?? []).map((n) => `get ${n}() { return load().${n}; }`),
              ...(names.call ?? []).map((n) => `${n}(...a) { return load().${n}(...a); }`),
            ];
            return {
              contents: `let real;\nconst load = () => (real ??= require(${JSON.stringify(args.path)}));\nmodule.exports = { ${members.join(', ')} };\n`,
              resolveDir: args.pluginData,
              loader: 'js',
            };
          });
        },
      },
      {
        // The Calico CRDs are read from the copy tsc's output has (dist/providers/calico/), so the
        // package carries them once: the module looks beside itself, which in the bundle is dist/.
        name: 'calico-crds-from-library-copy',
        setup(b) {
          b.onLoad({ filter: /\/src\/providers\/calico\/crds\.ts$/ }, (args) => {
            const text = readFileSync(args.path, 'utf8');
            const from = "new URL('./crds.generated.json', import.meta.url)";
            if (!text.includes(from)) throw new Error(`bundle: ${args.path} no longer reads ${from}`);
            return {
              contents: text.replace(
                from,
                "new URL('./providers/calico/crds.generated.json', import.meta.url)",
              ),
              loader: 'ts',
            };
          });
        },
      },
      {
        // zod re-exports every language's messages (~260 KB minified); netpack writes its own
        // messages, so only the English default zod configures itself with is kept.
        name: 'zod-english-only',
        setup(b) {
          b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
            args.importer.includes('/node_modules/zod/')
              ? { path: join(dirname(args.importer), '../locales/en.js') }
              : undefined,
          );
        },
      },
    ],
  });
await Promise.all([
  bundleCore('src/cli/run.ts', 'dist/netpack-core.cjs', true),
  bundleCore('src/cli/offline.ts', 'dist/netpack-offline.cjs', false),
  // `netpack check`'s probe program, read at run time into the check's ConfigMap.
  bundleProbe('dist/netpack-probe.cjs'),
]);
rmSync('dist/netpack-offline.cjs.map', { force: true });

/**
 * The peering side-car script (dist/netpack-sidecar.cjs): `peers run` alone, with everything it
 * needs bundled in (netpack's own API client and client-node's KubeConfig for the in-cluster
 * service account), so the official node image runs it from a ConfigMap with no node_modules.
 * A plain CommonJS script: it runs once per pod and stays up, so no code cache. Render reads it
 * (src/peers/script.ts); it must stay well under a ConfigMap's 1 MiB.
 */
const bundleSidecar = () =>
  build({
    entryPoints: ['src/peers/script-main.ts'],
    outfile: 'dist/netpack-sidecar.cjs',
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'none',
    define: { 'import.meta.url': '__netpackUrl' },
    banner: {
      js: "// netpack peering side-car: `node sidecar.cjs peers run --help`\nvar __netpackUrl = require('node:url').pathToFileURL(__filename).href;",
    },
    logLevel: 'warning',
    plugins: [nodeFetchShim, genHelpersOnly],
  });
await bundleSidecar();
const SIDECAR_LIMIT = 900 * 1024;
const sidecarSize = statSync('dist/netpack-sidecar.cjs').size;
if (sidecarSize > SIDECAR_LIMIT)
  throw new Error(
    `dist/netpack-sidecar.cjs is ${sidecarSize} bytes: too large for ConfigMap weave-net-peers`,
  );

copyFileSync(join(scripts, 'launcher.cjs'), 'dist/netpack.cjs');
chmodSync('dist/netpack.cjs', 0o755);
// The bin used to be dist/netpack.mjs: links made to it before (npx keeps one per project
// directory in its cache) keep working.
writeFileSync(
  'dist/netpack.mjs',
  "#!/usr/bin/env node\n// Former name of the bin, kept for links made to it; the CLI is netpack.cjs.\nimport './netpack.cjs';\n",
);
chmodSync('dist/netpack.mjs', 0o755);

// Data files read at run time (not bundled as code): beside tsc's output, where the bundle reads
// them too (an earlier layout had a second copy beside the bundle).
const DATA = ['src/providers/calico/crds.generated.json'];
for (const file of DATA) {
  const name = file.split('/').pop();
  rmSync(`dist/${name}`, { force: true });
  const tscDir = file.replace(/^src\//, 'dist/').replace(/\/[^/]+$/, '');
  mkdirSync(tscDir, { recursive: true });
  copyFileSync(file, `${tscDir}/${name}`);
}

// The Calico CRDs' YAML, written once here rather than on every render (src/render/written-ahead.ts).
// Before the code cache is trained, so that the training renders as users will.
const ahead = spawnSync(process.execPath, ['--import', 'tsx', join(scripts, 'write-ahead.ts'), 'dist'], {
  stdio: 'inherit',
});
if (ahead.status !== 0) throw new Error('writing the Calico CRDs ahead failed');

// Caches of earlier builds (and of other Node versions: each is named by its V8 version).
for (const name of readdirSync('dist'))
  if (name.endsWith('.cache')) rmSync(join('dist', name), { force: true });
if (!process.argv.includes('--no-code-cache')) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(scripts, 'train-code-cache.ts'), 'dist'], {
    stdio: 'inherit',
  });
  // Without a cache the CLI works the same, only slower to start: say so, do not fail the build.
  if (r.status !== 0) console.warn('netpack: training the code cache failed; the CLI starts without one');
}
