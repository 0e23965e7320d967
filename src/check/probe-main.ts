/**
 * Entry of the bundled probe script (`dist/netpack-probe.cjs`, see scripts/bundle.mjs): the
 * program the probe pods run as `node /probe/probe.cjs --port N`.
 */
import { probeMain } from './probe.ts';

void probeMain(process.argv.slice(2), (line) => process.stderr.write(`${line}\n`)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
