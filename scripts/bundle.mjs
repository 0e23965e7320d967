// Bundles the CLI into one minified file: Node then parses one file instead of resolving a few
// hundred modules (zod, yaml, ...), which keeps `netpack render` close to a bare `node` start.
// @kubernetes/client-node stays external: only cluster commands load it, and lazily.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/netpack.mjs',
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@kubernetes/client-node'],
  // CommonJS dependencies (commander) require() node built-ins; ESM output needs a require.
  banner: {
    js: "import { createRequire as __netpackRequire } from 'node:module'; const require = __netpackRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [
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
