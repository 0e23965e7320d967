// Bundles the CLI into one minified file: Node then parses one file instead of resolving a few
// hundred modules (zod, yaml, ...), which keeps `netpack render` close to a bare `node` start.
// Cluster commands load client-node's KubeConfig lazily, as a bundled chunk (its import then
// costs ~100 ms instead of ~500 ms). The peering side-car imports the whole package, left
// external: it is a long-running process, and bundling the package index would drag every
// generated API client into the chunk the cluster commands load.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'netpack',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (commander) require() node built-ins; ESM output needs a require.
  banner: {
    js: "import { createRequire as __netpackRequire } from 'node:module'; const require = __netpackRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [
    {
      name: 'node-fetch-shim',
      setup(b) {
        b.onResolve({ filter: /^node-fetch$/ }, (args) =>
          args.importer.includes('/@kubernetes/client-node/')
            ? { path: new URL('./shims/node-fetch.mjs', import.meta.url).pathname }
            : undefined,
        );
      },
    },
    {
      name: 'client-node-index-external',
      setup(b) {
        b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) => ({
          path: args.path,
          external: true,
        }));
      },
    },
    {
      // client-node's generated API (models and clients for every kind) is re-exported from one
      // index that KubeConfig imports for two helpers. It has no side effects, but the package
      // does not say so; saying it lets the bundler keep only what is used (3.3 MB -> far less).
      name: 'client-node-gen-side-effect-free',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, async (args) => {
          if (args.pluginData === 'inner' || !args.importer.includes('/@kubernetes/client-node/dist/'))
            return undefined;
          const r = await b.resolve(args.path, {
            resolveDir: args.resolveDir,
            kind: args.kind,
            pluginData: 'inner',
          });
          if (r.errors.length > 0 || !r.path.includes('/@kubernetes/client-node/dist/gen/')) return undefined;
          return { path: r.path, sideEffects: false };
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

// Data files read at run time (not bundled as code): beside the bundle and beside tsc's output.
const DATA = ['src/providers/calico/crds.generated.json'];
for (const file of DATA) {
  const name = file.split('/').pop();
  copyFileSync(file, `dist/${name}`);
  const tscDir = file.replace(/^src\//, 'dist/').replace(/\/[^/]+$/, '');
  mkdirSync(tscDir, { recursive: true });
  copyFileSync(file, `${tscDir}/${name}`);
}
