/**
 * Render: an effective `ClusterConfig` (plus the file contents the shell read for it) in, the
 * Kubernetes objects of the pod network out, in apply order. Pure: no I/O, clock or randomness.
 */
import type { Diagnostic } from '../config/diagnostics.ts';
import type { ClusterConfig } from '../config/types.ts';
import { renderCalico } from '../providers/calico/index.ts';
import { renderCustom } from '../providers/custom/index.ts';
import { renderNodeLocalDns } from '../providers/nodelocaldns/index.ts';
import { renderWeave } from '../providers/weave/index.ts';
import { type ImagePair, imagePairs, listImages, rewriteImages } from './images.ts';
import { type Component, withCommonLabels, withKeyOrder } from './labels.ts';
import { findDuplicates, sortForApply } from './order.ts';
import type {
  KubeObject,
  PendingSecret,
  ProviderOutput,
  RenderInputs,
  RenderOptions,
  RenderResult,
} from './types.ts';

export { type ImagePair, listImages, mirrorImage } from './images.ts';
export type { Component } from './labels.ts';
export { objectRef, sortForApply } from './order.ts';
export { type OutFile, outDirFiles, toJsonList, toYamlStream } from './serialize.ts';

/** The network provider's own objects, with the component name they are labelled with. */
function renderProvider(
  config: ClusterConfig,
  inputs: RenderInputs,
  opts: RenderOptions,
): { component: Component; output: ProviderOutput } {
  const provider = config.network.provider;
  switch (provider) {
    case 'weave':
      return { component: 'weave', output: renderWeave(config, inputs, opts) };
    case 'calico':
      return { component: 'calico', output: renderCalico(config, inputs, opts) };
    case 'custom':
      return { component: 'custom', output: renderCustom(config, inputs) };
    default: {
      const unknown: never = provider;
      throw new Error(`renderCluster: unknown network provider ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Every object netpack applies for `config`: the provider's, plus node-local-dns when
 * `network.node_local_dns_cache.enabled`. Each carries the managed-by and component labels,
 * runs its images from `network.image_repository` when that is set, and has a fixed key order.
 * Objects come in a safe apply order; two objects with one identity are an error.
 */
export function renderCluster(
  config: ClusterConfig,
  inputs: RenderInputs,
  opts: RenderOptions,
): RenderResult {
  const parts = [renderProvider(config, inputs, opts)];
  if (config.network.node_local_dns_cache.enabled) {
    parts.push({ component: 'node-local-dns', output: renderNodeLocalDns(config) });
  }
  const repository = config.network.image_repository;
  const objects: KubeObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const pendingSecrets: PendingSecret[] = [];
  for (const { component, output } of parts) {
    for (const obj of output.objects) {
      const mirrored = repository ? rewriteImages(obj, repository) : obj;
      objects.push(withKeyOrder(withCommonLabels(mirrored, component)));
    }
    pendingSecrets.push(...output.pendingSecrets);
    diagnostics.push(...(output.diagnostics ?? []));
  }
  diagnostics.push(...findDuplicates(objects));
  return { objects: sortForApply(objects), pendingSecrets, diagnostics };
}

/**
 * Each image the render runs, as upstream publishes it and as the mirror in
 * `network.image_repository` names it (the same when no mirror is set): the list an operator
 * needs to fill the mirror.
 */
export function listImagePairs(
  config: ClusterConfig,
  inputs: RenderInputs = {},
  opts: RenderOptions = { includeSecrets: false },
): ImagePair[] {
  const upstream: ClusterConfig = { ...config, network: { ...config.network, image_repository: undefined } };
  const { objects } = renderCluster(upstream, inputs, opts);
  return imagePairs(listImages(objects), config.network.image_repository);
}
