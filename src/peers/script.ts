/**
 * Where the shell finds the side-car script that render puts into ConfigMap `weave-net-peers`:
 * `netpack-sidecar.cjs`, written by scripts/bundle.mjs into dist/. Looked for beside the running
 * code: the bundled CLI (dist/netpack-core.cjs), tsc's output (dist/peers/), or the sources
 * (src/peers/, after `npm run build`).
 */
import { readFileSync } from 'node:fs';

export const PEERS_SCRIPT_FILE = 'netpack-sidecar.cjs';

const CANDIDATES = [`./${PEERS_SCRIPT_FILE}`, `../${PEERS_SCRIPT_FILE}`, `../../dist/${PEERS_SCRIPT_FILE}`];

/** The script's text, or undefined when no build wrote one. */
export function readPeersScript(): string | undefined {
  for (const rel of CANDIDATES) {
    try {
      return readFileSync(new URL(rel, import.meta.url), 'utf8');
    } catch {
      // not here; try the next place
    }
  }
  return undefined;
}
