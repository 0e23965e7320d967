/**
 * Writes dist/crds.written-ahead.json (see src/render/written-ahead.ts): the CRDs a Calico render
 * carries, as the digest of their JSON and as the YAML `netpack render` writes for them. Run by scripts/bundle.mjs:
 * `node --import tsx scripts/write-ahead.ts dist`.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import { renderCluster } from '../src/render/index.ts';
import { jsonDigest, WRITTEN_AHEAD_FILE } from '../src/render/written-ahead.ts';
import { emitYaml } from '../src/render/yaml-emit.ts';

const dist = resolve(process.argv[2] ?? 'dist');
const config = defaultClusterConfig();
config.network.provider = 'calico';
const { objects } = renderCluster(config, {}, { includeSecrets: false });
const entries = objects
  .filter((o) => o.kind === 'CustomResourceDefinition')
  .map((o) => ({ name: o.metadata.name, sha256: jsonDigest(JSON.stringify(o)), yaml: emitYaml(o) }));
if (entries.length === 0) throw new Error('a Calico render without CRDs: nothing to write ahead');
writeFileSync(join(dist, WRITTEN_AHEAD_FILE), JSON.stringify(entries));
