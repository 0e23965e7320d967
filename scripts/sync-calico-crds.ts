/**
 * Regenerates `src/providers/calico/crds.generated.json` from upstream Calico's manifest.
 *
 * Render is pure and cannot read `../shared` at run time, so the CustomResourceDefinitions that
 * upstream `calico.yaml` installs are copied, as data, into the source tree. Run after bumping
 * the Calico version:
 *
 *     npx tsx scripts/sync-calico-crds.ts [path/to/calico.yaml]
 *
 * The objects are parsed the way Kubernetes reads YAML (1.1 scalars) and written in file order.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const CALICO_VERSION = 'v3.32.1';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const defaultSource = path.resolve(
  repoRoot,
  '..',
  'shared',
  'upstream',
  `calico-${CALICO_VERSION}`,
  'calico.yaml',
);
const target = path.join(repoRoot, 'src', 'providers', 'calico', 'crds.generated.json');

/** The CustomResourceDefinitions in a multi-document manifest, in file order. */
export function extractCrds(text: string, file: string): Record<string, unknown>[] {
  const crds: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (obj?.kind === 'CustomResourceDefinition') crds.push(obj);
  }
  return crds;
}

function main(): void {
  const source = path.resolve(process.argv[2] ?? defaultSource);
  const crds = extractCrds(readFileSync(source, 'utf8'), source);
  if (crds.length === 0) throw new Error(`${source}: no CustomResourceDefinition found`);
  const data = {
    generated: `DO NOT EDIT. CustomResourceDefinitions of Project Calico ${CALICO_VERSION} (manifests/calico.yaml)`,
    license:
      'Apache-2.0 (Project Calico; policy.networking.k8s.io CRDs from kubernetes-sigs/network-policy-api)',
    regenerate: 'npx tsx scripts/sync-calico-crds.ts [path/to/calico.yaml]',
    calicoVersion: CALICO_VERSION,
    crds,
  };
  writeFileSync(target, `${JSON.stringify(data, null, 2)}\n`);
  // Keep the file in the formatter's shape so `biome check` stays quiet after a regeneration.
  const biome = spawnSync('npx', ['biome', 'format', '--write', target], { cwd: repoRoot, stdio: 'inherit' });
  if (biome.status !== 0) console.warn('sync-calico-crds: biome format failed; run `npm run format`');
  console.log(`sync-calico-crds: wrote ${crds.length} CRDs to ${path.relative(repoRoot, target)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
