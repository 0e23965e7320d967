/**
 * What apply wants in the cluster: the render, with file-backed Secrets filled in (render itself
 * leaves their values out of everything it prints), and the create-only Secrets apart. Pure:
 * the random password generator is passed in.
 */
import type { Diagnostic } from '../config/diagnostics.ts';
import type { ClusterConfig } from '../config/types.ts';
import { WEAVE_PASSWORD_KEY, WEAVE_PASSWORD_SECRET } from '../providers/weave/index.ts';
import { renderCluster } from '../render/index.ts';
import {
  COMPONENT_LABEL,
  type KubeObject,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type RenderInputs,
} from '../render/types.ts';
import { refKey } from './types.ts';

/** A Secret apply creates when it is missing and then never updates (nor prints). */
export interface CreateOnlySecret {
  namespace: string;
  name: string;
  /** Where the value comes from, for messages (never the value). */
  source: string;
  /** The Secret, built only when apply found it missing. */
  build(): KubeObject;
  /** For a Secret from a file: its decoded values, to notice when the file changed (never printed). */
  fileData?: Record<string, string>;
}

export interface Desired {
  /** Objects to server-side apply, in apply order. Secrets among them carry values: never print them. */
  objects: KubeObject[];
  createOnly: CreateOnlySecret[];
  diagnostics: Diagnostic[];
}

/** 24 random bytes as 48 hex characters; the shell passes `crypto.randomBytes`. */
export type RandomBytes = (n: number) => Buffer;

export function desiredState(config: ClusterConfig, inputs: RenderInputs, randomBytes: RandomBytes): Desired {
  const plain = renderCluster(config, inputs, { includeSecrets: false });
  if (plain.diagnostics.some((d) => d.severity === 'error')) {
    return { objects: [], createOnly: [], diagnostics: plain.diagnostics };
  }
  const pending = plain.pendingSecrets;
  // File-backed Secrets get their values from the render that includes them.
  const full = pending.length > 0 ? renderCluster(config, inputs, { includeSecrets: true }) : plain;
  const diagnostics = pending.length > 0 ? full.diagnostics : plain.diagnostics;
  const createOnlyKeys = new Set(
    pending
      .filter((p) => p.createOnly)
      .map((p) => refKey({ apiVersion: 'v1', kind: 'Secret', namespace: p.namespace, name: p.name })),
  );
  const objects = full.objects.filter((o) => !createOnlyKeys.has(refKey(o)));
  const createOnly: CreateOnlySecret[] = pending
    .filter((p) => p.createOnly)
    .map((p) => {
      const rendered = full.objects.find(
        (o) => o.kind === 'Secret' && o.metadata.name === p.name && o.metadata.namespace === p.namespace,
      );
      const secret: CreateOnlySecret = {
        namespace: p.namespace,
        name: p.name,
        source: p.source,
        build: () => rendered ?? generatedSecret(p.namespace, p.name, randomBytes),
      };
      if (rendered) secret.fileData = secretValues(rendered);
      return secret;
    });
  return { objects, createOnly, diagnostics };
}

/** Weave's shared secret when the operator named no file: 48 hex characters from a CSPRNG. */
function generatedSecret(namespace: string, name: string, randomBytes: RandomBytes): KubeObject {
  const key = name === WEAVE_PASSWORD_SECRET ? WEAVE_PASSWORD_KEY : name;
  const value = randomBytes(24).toString('hex');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [COMPONENT_LABEL]: 'weave' },
    },
    type: 'Opaque',
    data: { [key]: Buffer.from(value, 'utf8').toString('base64') },
  };
}

/** A Secret's values, decoded: `data` (base64) and `stringData` alike. */
export function secretValues(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (secret.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries((secret.stringData ?? {}) as Record<string, string>)) out[k] = v;
  return out;
}
