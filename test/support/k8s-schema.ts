/**
 * Schema checks for rendered objects, for tests.
 *
 * Built-in kinds: `kubernetes-models` (generated from the Kubernetes OpenAPI document) checks
 * types, enums and required fields, but like the API server's JSON decoding it ignores fields it
 * does not know, so a typo such as `imagePullPolicyy` would pass. kubernetes-models ships its
 * schemas only as compiled validators, which do not list every property; its `.d.ts` files do,
 * one interface per OpenAPI definition. So the unknown-field check walks the object alongside
 * those interfaces with the TypeScript checker: a property not declared is reported, and a
 * `{ [key: string]: T }` index signature (labels, annotations, ConfigMap data) accepts any key.
 *
 * Custom resources: validated with ajv against the `openAPIV3Schema` of the matching version of
 * their CRD, plus the same unknown-field walk over the schema's `properties`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import ts from 'typescript';
import type { KubeObject } from '../../src/render/types.ts';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `kubernetes-models/<apiVersion>/<Kind>`: the module layout of kubernetes-models 4.x. */
function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** The `.d.ts` file of a kind, or null when kubernetes-models has no such kind. */
function declarationFile(apiVersion: string, kind: string): string | null {
  try {
    // The package's `exports` map lists the .js modules only; the .d.ts sits beside each.
    return require.resolve(modelModule(apiVersion, kind), { paths: [repoRoot] }).replace(/\.js$/, '.d.ts');
  } catch {
    return null;
  }
}

// ---- unknown fields, from the kubernetes-models declarations ------------------------------

let program: ts.Program | undefined;
const compilerOptions: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  moduleResolution: ts.ModuleResolutionKind.Node10,
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
};

/** The declared interface `I<Kind>` of a kind's `.d.ts`, with a checker to walk it. */
function declaredType(file: string, kind: string): { checker: ts.TypeChecker; type: ts.Type } | null {
  // One program over the package index (every kind, ~1s) instead of one per kind.
  const index = require.resolve('kubernetes-models', { paths: [repoRoot] }).replace(/\.js$/, '.d.ts');
  program ??= ts.createProgram([index], compilerOptions);
  if (!program.getSourceFile(file)) {
    program = ts.createProgram([...program.getRootFileNames(), file], compilerOptions, undefined, program);
  }
  const checker = program!.getTypeChecker();
  const source = program!.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return null;
  const exported = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === `I${kind}`);
  if (!exported) return null;
  return { checker, type: checker.getDeclaredTypeOfSymbol(exported) };
}

/** The members of `type` that could describe `value` (undefined/null dropped from unions). */
function candidates(checker: ts.TypeChecker, type: ts.Type, value: unknown): ts.Type[] {
  const members = type.isUnion() ? type.types : [type];
  return members.filter((t) => {
    if (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) return false;
    if (Array.isArray(value)) return checker.isArrayType(t);
    if (isPlainObject(value)) return (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t);
    return false;
  });
}

function walkDeclared(
  checker: ts.TypeChecker,
  type: ts.Type,
  value: unknown,
  at: string,
  out: string[],
): void {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  for (const t of candidates(checker, type, value).slice(0, 1)) {
    if (Array.isArray(value)) {
      const element = checker.getTypeArguments(t as ts.TypeReference)[0];
      if (element) {
        value.forEach((item, i) => {
          walkDeclared(checker, element, item, `${at}[${i}]`, out);
        });
      }
      continue;
    }
    const record = value as Json;
    const properties = new Map(checker.getPropertiesOfType(t).map((p) => [p.name, p]));
    const index = checker.getIndexInfosOfType(t).find((info) => info.keyType.flags & ts.TypeFlags.String);
    // An interface with no members (kubernetes-models' `IJSON`, `IRawExtension`) is any JSON.
    if (properties.size === 0 && !index) return;
    for (const [key, child] of Object.entries(record)) {
      const where = at ? `${at}.${key}` : key;
      const property = properties.get(key);
      if (property) walkDeclared(checker, checker.getTypeOfSymbol(property), child, where, out);
      else if (index) walkDeclared(checker, index.type, child, where, out);
      else out.push(`${where}: unknown field "${key}"`);
    }
  }
}

// ---- built-in kinds -------------------------------------------------------------------------

/**
 * Problems with a built-in Kubernetes object: schema errors from kubernetes-models (wrong types,
 * missing required fields, bad enum values) and every field the schema does not declare. Empty
 * when the object is valid. An apiVersion/kind kubernetes-models does not know is a problem too.
 */
export function validateK8sObject(obj: KubeObject): string[] {
  const file = declarationFile(obj.apiVersion, obj.kind);
  if (!file) return [`${obj.apiVersion} ${obj.kind}: not a built-in kind known to kubernetes-models`];
  const problems: string[] = [];
  const module = require(
    require.resolve(modelModule(obj.apiVersion, obj.kind), { paths: [repoRoot] }),
  ) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[obj.kind];
  if (!Model) return [`${obj.apiVersion} ${obj.kind}: kubernetes-models has no class ${obj.kind}`];
  try {
    new Model(structuredClone(obj)).validate();
  } catch (e) {
    // kubernetes-models joins ajv's messages with ", " and writes paths as `data/spec/...`.
    problems.push(...String((e as Error).message).split(/, (?=data[/ ])/));
  }
  const declared = declaredType(file, obj.kind);
  if (!declared) problems.push(`${obj.apiVersion} ${obj.kind}: no interface I${obj.kind} in ${file}`);
  else walkDeclared(declared.checker, declared.type, obj, '', problems);
  return problems;
}

// ---- custom resources -----------------------------------------------------------------------

type Schema = Json;

/** Every field of `value` not declared by the OpenAPI v3 `schema` (respecting maps and preserve-unknown). */
function walkSchema(schema: Schema | undefined, value: unknown, at: string, out: string[]): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true) return;
  // A structural schema declares its properties itself; allOf/anyOf/oneOf only constrain them.
  if (Array.isArray(value)) {
    const items = schema.items as Schema | undefined;
    value.forEach((item, i) => {
      walkSchema(items, item, `${at}[${i}]`, out);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const properties = isPlainObject(schema.properties)
    ? (schema.properties as Record<string, Schema>)
    : undefined;
  const additional = schema.additionalProperties;
  if (!properties && additional === undefined) {
    // `type: object` with nothing else: the API server prunes all of it unless embedded.
    if (schema['x-kubernetes-embedded-resource'] === true) return;
    if (at === 'metadata') return;
  }
  for (const [key, child] of Object.entries(value)) {
    const where = at ? `${at}.${key}` : key;
    const declared = properties?.[key];
    if (declared) walkSchema(declared, child, where, out);
    else if (isPlainObject(additional)) walkSchema(additional, child, where, out);
    else if (additional === true) continue;
    else if (at === '' && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    else out.push(`${where}: unknown field "${key}" (the API server would prune it)`);
  }
}

/** The CRDs' `openAPIV3Schema` for a custom resource's group, kind and version. */
function crdSchema(obj: KubeObject, crds: readonly KubeObject[]): Schema | string {
  const slash = obj.apiVersion.indexOf('/');
  const group = obj.apiVersion.slice(0, slash);
  const version = obj.apiVersion.slice(slash + 1);
  const crd = crds.find((c) => {
    const spec = c.spec as Json | undefined;
    return spec?.group === group && (spec?.names as Json | undefined)?.kind === obj.kind;
  });
  if (!crd) return `no CustomResourceDefinition for ${obj.kind}.${group}`;
  const versions = ((crd.spec as Json).versions ?? []) as Json[];
  const entry = versions.find((v) => v.name === version);
  if (!entry) return `CRD ${crd.metadata.name} has no version ${version}`;
  if (entry.served === false) return `CRD ${crd.metadata.name} does not serve ${version}`;
  const schema = (entry.schema as Json | undefined)?.openAPIV3Schema;
  if (!isPlainObject(schema)) return `CRD ${crd.metadata.name} version ${version} has no openAPIV3Schema`;
  return schema;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new WeakMap<Schema, ReturnType<typeof ajv.compile>>();

/**
 * Problems with a custom resource: ajv errors against the openAPIV3Schema of its version in the
 * given CRDs, and every field that schema does not declare. Empty when valid.
 */
export function validateCustomResource(obj: KubeObject, crds: readonly KubeObject[]): string[] {
  const schema = crdSchema(obj, crds);
  if (typeof schema === 'string') return [`${obj.apiVersion} ${obj.kind} ${obj.metadata.name}: ${schema}`];
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const problems: string[] = [];
  if (!validate(obj)) {
    for (const err of validate.errors ?? []) {
      problems.push(
        `${err.instancePath || '/'}: ${err.message ?? err.keyword} ${JSON.stringify(err.params)}`,
      );
    }
  }
  walkSchema(schema, obj, '', problems);
  return problems;
}
