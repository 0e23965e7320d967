/**
 * One declaration per option. `option(schema, {...})` in schema.ts gives an option its shape (the
 * zod schema), its description, its default (a value, or a function of what is already known,
 * with the reason `explain` shows), the other spellings the file may use (Pharos and Spectro
 * aliases, with their mapping) and how a written value becomes the effective one. The loader
 * (resolve.ts) walks these declarations; the `ClusterConfig` types are derived from them
 * (`Resolved`), and the JSON Schema shows their descriptions and plain defaults.
 */
import { z } from 'zod';
import type { PathSegment } from './positions.ts';
import type { Cloud, Datastore, Host } from './types.ts';

// netpack parses one small file per run: zod's just-in-time compiled object parsers cost more to
// generate (new Function per object schema) than they save, so they are off.
z.config({ jitless: true });

/** What a derived default may depend on: the hosts, and the cloud and datastore once resolved. */
export interface Facts {
  hosts: readonly Host[];
  cloud: Cloud | undefined;
  datastore: Datastore;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
}

/** A default, with why it is what it is (shown by explain). */
export interface Default<T> {
  value: T;
  reason?: string;
}

/**
 * Another place the file may set the option: a sibling key of the same block, or a path from the
 * file's root; `map` turns its value into the option's (else it is taken as it is).
 */
export type Spelling<W> = ({ key: string } | { path: PathSegment[] }) & {
  /** Undefined: the value names nothing netpack knows (the option stays unset). */
  map?: (value: unknown) => W | undefined;
};

/** `W`: the value as the file writes it (the schema's output); `T`: the effective value. */
export interface OptionSpec<W, T> {
  describe: string;
  /** The value when the file does not set it; none: the option stays unset. */
  default?: NoInfer<T> | ((facts: Facts) => Default<NoInfer<T>>);
  /** Why the plain default, when explain should say so. */
  reason?: string;
  /** Where the file may set it, in order of precedence; without: only under its own key. */
  from?: readonly (Spelling<W> | 'self')[];
  /**
   * A written value becomes the effective one (e.g. a path resolved against the file's
   * directory); undefined leaves the option unset.
   */
  resolve?: (value: W, facts: Pick<Facts, 'baseDir'>) => T | undefined;
  /** A written `auto` asks for the derived default (recorded as a default, "auto: " + reason). */
  auto?: true;
  /** No warning for `key:` with nothing after it. */
  quietWhenEmpty?: true;
  /** Two spellings that disagree: the wording of that error (else the generic one). */
  conflict?: (value: W, first: { at: string; value: W }) => { message: string; hint: string };
  /** Record each entry of a written map as an origin of its own (explain points at each). */
  entryOrigins?: true;
  /** A written block's origin is that of this key of it (explain shows its line). */
  originAt?: string;
  /** The effective option's path when it is not where the schema declares it. */
  as?: string;
}

/** Marks the type of an option's effective value on its schema (types only, never set). */
declare const EFFECTIVE: unique symbol;
export interface Effective<T, Optional extends boolean> {
  readonly [EFFECTIVE]: { value: T; optional: Optional };
}

/** The declarations, keyed by the (nullish) schema of each option as its parent block holds it. */
export const optionRegistry = z.registry<{ spec: OptionSpec<unknown, unknown> }>();

type Nullish<S extends z.ZodType> = z.ZodOptional<z.ZodNullable<S>>;
type Written<S extends z.ZodType> = NonNullable<z.output<S>>;
type WithDefault<W, T> = OptionSpec<W, T> & { default: NonNullable<OptionSpec<W, T>['default']> };

/**
 * Declares an option: its schema (the shape the file may write) and the rest of what it is. The
 * effective type is the schema's output unless `resolve` makes it something else; an option
 * without a default is optional in the effective config.
 */
export function option<S extends z.ZodType, T = Written<S>>(
  schema: S,
  spec: WithDefault<Written<S>, T>,
): Nullish<S> & Effective<T, false>;
export function option<S extends z.ZodType, T = Written<S>>(
  schema: S,
  spec: OptionSpec<Written<S>, T>,
): Nullish<S> & Effective<T, true>;
export function option<S extends z.ZodType, T>(schema: S, spec: OptionSpec<Written<S>, T>): Nullish<S> {
  const plain = spec.default;
  let declared = schema.describe(spec.describe).nullish();
  // A plain default is shown in the JSON Schema (editors offer it); a derived one is described.
  if (plain !== undefined && typeof plain !== 'function') declared = declared.meta({ default: plain });
  optionRegistry.add(declared, { spec: spec as OptionSpec<unknown, unknown> });
  return declared;
}

/** A block of options (`weave:`, `calico:`): always in the effective config, filled by defaults. */
export function block<Shape extends z.core.$ZodLooseShape>(
  schema: z.ZodObject<Shape, z.core.$strict>,
  describe?: string,
): Nullish<z.ZodObject<Shape, z.core.$strict>> & Effective<Resolved<Shape>, false> {
  const described = describe ? schema.describe(describe) : schema;
  return described.nullish() as Nullish<z.ZodObject<Shape, z.core.$strict>> &
    Effective<Resolved<Shape>, false>;
}

/** A spelling only: an alias another option's declaration reads (`from`), not an option itself. */
export function alias<S extends z.ZodType>(schema: S, describe: string): Nullish<S> {
  return schema.describe(describe).nullish();
}

/** The effective type of a declared option. */
export type EffectiveOf<S> = S extends Effective<infer T, boolean> ? T : never;
type IsOption<S> = S extends Effective<unknown, boolean> ? true : false;
type IsAlways<S> = S extends Effective<unknown, false> ? true : false;

/** The effective config of a block: each declared option's value, the optional ones optional. */
export type Resolved<Shape> = {
  [K in keyof Shape as IsOption<Shape[K]> extends true
    ? IsAlways<Shape[K]> extends true
      ? K
      : never
    : never]: EffectiveOf<Shape[K]>;
} & {
  [K in keyof Shape as IsOption<Shape[K]> extends true
    ? IsAlways<Shape[K]> extends true
      ? never
      : K
    : never]?: EffectiveOf<Shape[K]>;
};
