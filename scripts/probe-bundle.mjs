// The `netpack check` probe as one self-contained script (Node built-ins only), the file the
// check's ConfigMap carries and the probe pods run with `node /probe/probe.cjs`. Used by
// bundle.mjs (dist/netpack-probe.cjs) and by the tests and the bench, which build their own copy.
import { resolve } from 'node:path';
import { build } from 'esbuild';

/** Bundles src/check/probe-main.ts into `outfile` (CommonJS, minified, no dependencies). */
export function bundleProbe(outfile, root = process.cwd()) {
  return build({
    absWorkingDir: resolve(root),
    entryPoints: ['src/check/probe-main.ts'],
    outfile: resolve(outfile),
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    // Anything that is not a Node built-in would have nothing to load from inside the pod.
    plugins: [
      {
        name: 'built-ins-only',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('node:')
              ? { path: args.path, external: true }
              : { errors: [{ text: `the probe may import Node built-ins only, not ${args.path}` }] },
          );
        },
      },
    ],
  });
}
