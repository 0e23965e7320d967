/**
 * Turns zod's issues into netpack diagnostics: our wording, the option's path, "did you mean"
 * hints for enums and unknown keys, and hints for the usual slips (YAML 1.1 booleans,
 * unexpanded $VARIABLES).
 */
import type { z } from 'zod';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from './diagnostics.ts';
import type { PathSegment } from './positions.ts';
import { didYouMean, looksLikeUnexpandedVariable } from './suggest.ts';

export interface RawIssue {
  code: DiagnosticCode;
  path: PathSegment[];
  message: string;
  hint?: string;
  /** Point at the key rather than the value (unknown keys). */
  atKey?: boolean;
}

type AnySchema = z.core.$ZodType;

function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType)
      s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** Keys the schema allows for the object at `path` (for "did you mean"). */
export function knownKeys(schema: AnySchema, path: readonly PathSegment[]): string[] {
  let candidates: AnySchema[] = [schema];
  for (const segment of path) {
    const next: AnySchema[] = [];
    for (const c of candidates.map(unwrap)) {
      const def = c._zod.def as {
        type: string;
        shape?: Record<string, AnySchema>;
        element?: AnySchema;
        valueType?: AnySchema;
        options?: AnySchema[];
      };
      if (def.type === 'union' && def.options) candidates.push(...def.options);
      else if (def.type === 'object' && def.shape && typeof segment === 'string' && def.shape[segment])
        next.push(def.shape[segment]);
      else if (def.type === 'array' && def.element) next.push(def.element);
      else if (def.type === 'record' && def.valueType) next.push(def.valueType);
    }
    candidates = next;
  }
  const keys = new Set<string>();
  for (const c of candidates.map(unwrap)) {
    const def = c._zod.def as { type: string; shape?: Record<string, AnySchema>; options?: AnySchema[] };
    const objects = def.type === 'union' ? (def.options ?? []).map(unwrap) : [c];
    for (const o of objects) {
      const odef = o._zod.def as { type: string; shape?: Record<string, AnySchema> };
      if (odef.type === 'object' && odef.shape) for (const k of Object.keys(odef.shape)) keys.add(k);
    }
  }
  return [...keys];
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  record: 'a map',
};

const YAML11_BOOLEANS: Record<string, boolean> = {
  yes: true,
  no: false,
  on: true,
  off: false,
  y: true,
  n: false,
};

function hintsFor(input: unknown, expected?: string): string | undefined {
  if (looksLikeUnexpandedVariable(input))
    return `${JSON.stringify(input)} looks like an unexpanded environment variable: run the file through envsubst first`;
  if (expected === 'boolean' && typeof input === 'string' && input.toLowerCase() in YAML11_BOOLEANS)
    return `YAML 1.2 reads ${JSON.stringify(input)} as a string; write ${YAML11_BOOLEANS[input.toLowerCase()]}`;
  if (expected === 'boolean' && (input === 'true' || input === 'false'))
    return `write ${input} without quotes`;
  if ((expected === 'number' || expected === 'int') && typeof input === 'string' && /^\d+$/.test(input))
    return `write ${input} without quotes`;
  return undefined;
}

function joinHints(...hints: (string | undefined)[]): string | undefined {
  const present = hints.filter((h): h is string => !!h);
  return present.length ? present.join('; ') : undefined;
}

/** The code a field-level check of schema.ts gave its issue (`params.code`), else InvalidValue. */
function customCode(issue: z.core.$ZodIssue): DiagnosticCode {
  const code = (issue as { params?: { code?: unknown } }).params?.code;
  return (DIAGNOSTIC_CODES as readonly unknown[]).includes(code) ? (code as DiagnosticCode) : 'InvalidValue';
}

export function convertIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: AnySchema,
  prefix: PathSegment[],
): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = knownKeys(schema, path);
        for (const key of issue.keys) {
          out.push({
            code: 'UnknownKey',
            path: [...path, key],
            message: `unknown option "${key}"`,
            hint: didYouMean(key, allowed) ?? `known options: ${allowed.join(', ')}`,
            atKey: true,
          });
        }
        break;
      }
      case 'invalid_value': {
        const values = issue.values.map(String);
        out.push({
          code: input === undefined ? 'MissingOption' : 'InvalidValue',
          path,
          message:
            input === undefined
              ? `is required: one of ${values.join(', ')}`
              : `must be one of ${values.join(', ')} (got ${describeValue(input)})`,
          hint: joinHints(typeof input === 'string' ? didYouMean(input, values) : undefined, hintsFor(input)),
        });
        break;
      }
      case 'invalid_type': {
        const expected = String(issue.expected);
        const message =
          input === undefined
            ? 'is required'
            : `must be ${TYPE_WORDS[expected] ?? expected} (got ${describeValue(input)})`;
        out.push({
          code: input === undefined ? 'MissingOption' : 'InvalidType',
          path,
          message,
          hint: hintsFor(input, expected),
        });
        break;
      }
      case 'too_small':
      case 'too_big': {
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const custom = !issue.message.startsWith('Too ');
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        const message = custom
          ? issue.message
          : issue.origin === 'array'
            ? `must have ${word} ${bound} entries`
            : `must be ${word} ${bound} (got ${describeValue(input)})`;
        out.push({ code: 'OutOfRange', path, message, hint: hintsFor(input) });
        break;
      }
      case 'invalid_union': {
        // When the value has the right type for one branch (e.g. a map for `{enabled: bool}`),
        // that branch's own complaints say more than "none of the branches matched".
        const typed = issue.errors.filter(
          (branch) =>
            !branch.some(
              (i) => (i.code === 'invalid_type' || i.code === 'invalid_value') && i.path.length === 0,
            ),
        );
        if (typed.length === 1 && typed[0]!.length > 0) out.push(...convertIssues(typed[0]!, schema, path));
        else
          out.push({
            code: 'InvalidValue',
            path,
            message: `${issue.message} (got ${describeValue(input)})`,
            hint: hintsFor(
              input,
              (
                issue.errors.flat().find((i) => i.code === 'invalid_type' && i.path.length === 0) as
                  | { expected?: string }
                  | undefined
              )?.expected,
            ),
          });
        break;
      }
      case 'invalid_format':
        out.push({ code: 'InvalidFormat', path, message: issue.message, hint: hintsFor(input) });
        break;
      default:
        out.push({ code: customCode(issue), path, message: issue.message, hint: hintsFor(input) });
    }
  }
  return out;
}
