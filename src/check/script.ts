/**
 * Finds the bundled probe program (`netpack-probe.cjs`, built by scripts/bundle.mjs) that the
 * check's ConfigMap carries: beside the CLI bundle, or in `dist/` when running from the sources
 * or tsc's output. `NETPACK_PROBE_SCRIPT` names another file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function probeScriptCandidates(): string[] {
  const env = process.env.NETPACK_PROBE_SCRIPT;
  if (env) return [env];
  return [
    fileURLToPath(new URL('./netpack-probe.cjs', import.meta.url)),
    fileURLToPath(new URL('../../dist/netpack-probe.cjs', import.meta.url)),
  ];
}

/** The probe script's text, or undefined with the paths looked at. */
export function readProbeScript(): { text: string } | { missing: string[] } {
  const tried = probeScriptCandidates();
  for (const path of tried) {
    try {
      return { text: readFileSync(path, 'utf8') };
    } catch {
      // next place
    }
  }
  return { missing: tried };
}
