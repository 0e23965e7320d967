// Bundles the CLI into one minified file: Node then parses one file instead of resolving a few
// hundred modules (zod, yaml, ...), which keeps `netpack render` close to a bare `node` start.
// @kubernetes/client-node stays external: only cluster commands load it, and lazily.
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
  banner: { js: "import { createRequire as __netpackRequire } from 'node:module'; const require = __netpackRequire(import.meta.url);" },
  logLevel: 'warning',
});
