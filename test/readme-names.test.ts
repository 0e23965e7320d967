/**
 * The README's claims about names, checked against what netpack renders: every mirrored image
 * name it shows (`REPO/...`) is one a render runs, except the names it attributes to Pharos,
 * which netpack must not render (the README says they differ); the same for the Calico metrics
 * Service.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { defaultClusterConfig } from '../src/config/resolve.ts';
import type { ClusterConfig } from '../src/config/types.ts';
import { listImages } from '../src/render/images.ts';
import { renderCluster } from '../src/render/index.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** What Weave and Calico renders (with metrics and Typha on) run and create, mirrored to REPO. */
function rendered(): { images: string[]; names: string[] } {
  const configs: ClusterConfig[] = [];
  for (const provider of ['weave', 'calico'] as const) {
    const c = defaultClusterConfig();
    c.network.provider = provider;
    c.network.image_repository = 'REPO';
    c.network.calico.typha = true;
    c.network.calico.environment = { FELIX_PROMETHEUSMETRICSENABLED: 'true' };
    configs.push(c);
  }
  const objects = configs.flatMap((c) => renderCluster(c, {}, { includeSecrets: false }).objects);
  return { images: listImages(objects), names: objects.map((o) => o.metadata.name) };
}

/** Clauses (up to the next full stop or semicolon) that attribute names to Pharos. */
const pharosNames = new Set(
  [...readme.matchAll(/Pharos named[^.;]*[.;]/g)].flatMap((m) =>
    [...m[0].matchAll(/`([^`]+)`/g)].map((x) => x[1]!),
  ),
);

test('every REPO/... image name the README shows is rendered, and the ones it gives as Pharos’ are not', () => {
  const { images } = rendered();
  const claims = [...new Set([...readme.matchAll(/`(REPO\/[a-z0-9.-]+(?::[\w.-]+)?)`/g)].map((m) => m[1]!))];
  assert.ok(claims.length >= 5, `found the README's image names: ${claims.join(', ')}`);
  for (const claim of claims) {
    const hit = images.some((i) => i === claim || i.startsWith(`${claim}:`) || i.startsWith(`${claim}@`));
    if (pharosNames.has(claim))
      assert.ok(!hit, `${claim} is Pharos' name, which the README says netpack does not use`);
    else assert.ok(hit, `${claim} is in the README but no render runs it: ${images.join(', ')}`);
  }
  assert.ok(
    [...pharosNames].some((n) => n.startsWith('REPO/calico-')),
    'the Pharos names were found',
  );
});

test('the Calico metrics Service is named as the README says, and not as Pharos named it', () => {
  const { names } = rendered();
  assert.match(readme, /`calico-node-metrics`/);
  assert.ok(names.includes('calico-node-metrics'));
  assert.ok(pharosNames.has('calico-metrics'), 'the README names Pharos’ Service');
  assert.ok(!names.includes('calico-metrics'));
});
