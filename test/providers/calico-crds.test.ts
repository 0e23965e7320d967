/**
 * The generated CRD data equals upstream's CRDs, and the IPPool the render ships validates
 * against the IPPool CRD that the same render ships.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { parseCidr } from '../../src/config/cidr.ts';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import { ENCAPSULATION_MODES, ENCAPSULATIONS } from '../../src/config/types.ts';
import { CALICO_VERSION, renderCalico } from '../../src/providers/calico/index.ts';
import type { KubeObject } from '../../src/render/types.ts';
import { upstreamOrSkip } from '../support/upstream.ts';

const generatedUrl = new URL('../../src/providers/calico/crds.generated.json', import.meta.url);

/** The default cluster with provider calico (kubernetes datastore, IP-in-IP Always). */
function calicoCluster() {
  const config = defaultClusterConfig();
  config.network.provider = 'calico';
  return config;
}

describe('crds.generated.json', () => {
  test('equals the CustomResourceDefinitions of upstream calico.yaml, in order', (t) => {
    const upstream = upstreamOrSkip(t, `calico-${CALICO_VERSION}/calico.yaml`);
    if (!upstream) return;
    const generated = JSON.parse(readFileSync(generatedUrl, 'utf8')) as { crds: KubeObject[] };
    const crds = upstream.filter((o) => o.kind === 'CustomResourceDefinition');
    assert.equal(crds.length, 23);
    assert.deepEqual(generated.crds, crds);
  });

  test('says where it comes from, its licence and how to regenerate it', () => {
    const generated = JSON.parse(readFileSync(generatedUrl, 'utf8')) as Record<string, unknown>;
    assert.equal(generated.calicoVersion, CALICO_VERSION);
    assert.match(String(generated.generated), /DO NOT EDIT.*Calico v3\.32\.1/);
    assert.match(String(generated.license), /Apache-2\.0/);
    assert.match(String(generated.regenerate), /npx tsx scripts\/sync-calico-crds\.ts/);
  });

  test('the render ships exactly those CRDs in the kubernetes datastore, none with etcd', () => {
    const generated = JSON.parse(readFileSync(generatedUrl, 'utf8')) as { crds: KubeObject[] };
    const config = calicoCluster();
    const kdd = renderCalico(config, {}, { includeSecrets: false }).objects;
    assert.deepEqual(
      kdd.filter((o) => o.kind === 'CustomResourceDefinition'),
      generated.crds,
    );
    config.network.calico.datastore = 'etcd';
    config.network.calico.etcd = { endpoints: ['http://10.0.0.1:2379'] };
    const etcd = renderCalico(config, {}, { includeSecrets: false }).objects;
    assert.equal(etcd.filter((o) => o.kind === 'CustomResourceDefinition').length, 0);
  });
});

/** An ajv validator for a kind's openAPIV3Schema, taken from the render's own CRDs. */
function schemaValidator(objects: KubeObject[], kind: string) {
  const crd = objects.find(
    (o) =>
      o.kind === 'CustomResourceDefinition' && (o.spec as { names: { kind: string } }).names.kind === kind,
  );
  assert.ok(crd, `the render ships the ${kind} CRD`);
  const spec = crd.spec as {
    group: string;
    versions: { name: string; schema: { openAPIV3Schema: object } }[];
  };
  const version = spec.versions.find((v) => v.name === 'v1');
  assert.ok(version);
  // strict: false tolerates x-kubernetes-* keywords; `cidr` is the CRD's own format.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('cidr', (s: string) => parseCidr(s, { allowV6: true }).ok);
  return {
    apiVersion: `${spec.group}/${version.name}`,
    validate: ajv.compile(version.schema.openAPIV3Schema),
  };
}

describe('IPPool default-ipv4-ippool', () => {
  for (const encapsulation of ENCAPSULATIONS) {
    for (const mode of ENCAPSULATION_MODES) {
      for (const nat of [true, false]) {
        test(`validates against the shipped CRD schema (${encapsulation}, ${mode}, nat ${nat})`, () => {
          const config = calicoCluster();
          Object.assign(config.network.calico, { encapsulation, mode, nat_outgoing: nat });
          const { objects } = renderCalico(config, {}, { includeSecrets: false });
          const pool = objects.find((o) => o.kind === 'IPPool');
          assert.ok(pool);
          const { apiVersion, validate } = schemaValidator(objects, 'IPPool');
          assert.equal(pool.apiVersion, apiVersion);
          assert.ok(validate(pool), JSON.stringify(validate.errors));
          // The CRD's CEL rule: ipipMode and vxlanMode cannot both be enabled.
          const spec = pool.spec as { ipipMode: string; vxlanMode: string };
          assert.ok(spec.ipipMode === 'Never' || spec.vxlanMode === 'Never');
        });
      }
    }
  }

  test('the schema check rejects a bad pool (so it is really checking)', () => {
    const { objects } = renderCalico(calicoCluster(), {}, { includeSecrets: false });
    const { validate } = schemaValidator(objects, 'IPPool');
    const pool = structuredClone(objects.find((o) => o.kind === 'IPPool')) as KubeObject & {
      spec: Record<string, unknown>;
    };
    assert.equal(validate({ ...pool, spec: { ...pool.spec, ipipMode: 'always' } }), false);
    assert.equal(validate({ ...pool, spec: { ...pool.spec, blockSize: '26' } }), false);
    assert.equal(validate({ ...pool, spec: { ...pool.spec, cidr: '10.32.0.0/33' } }), false);
    const { cidr: _, ...noCidr } = pool.spec;
    assert.equal(validate({ ...pool, spec: noCidr }), false);
  });
});
