// Label and field selectors as the API server parses them from `labelSelector` / `fieldSelector`.
import type { KubeObject } from './resources.ts';

type Requirement =
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | '!exists'; key: string };

export type Matcher = (obj: KubeObject) => boolean;

export class SelectorError extends Error {}

/** Splits on commas that are not inside `( )`, so `a in (x,y),b` is two requirements. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseRequirement(text: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(text);
  if (set) {
    const values = set[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { op: set[2] as 'in' | 'notin', key: set[1]!, values };
  }
  const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (cmp) return { op: cmp[2] === '!=' ? '!=' : '=', key: cmp[1]!, value: cmp[3]! };
  if (/^![^\s!=()]+$/.test(text)) return { op: '!exists', key: text.slice(1) };
  if (/^[^\s!=()]+$/.test(text)) return { op: 'exists', key: text };
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(text)}`);
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case '=':
      return has && value === req.value;
    case '!=':
      return !has || value !== req.value;
    case 'in':
      return has && req.values.includes(value!);
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'exists':
      return has;
    case '!exists':
      return !has;
  }
}

/** `app=x,tier!=db,env in (a,b),!legacy` → matcher over metadata.labels. */
export function parseLabelSelector(text: string | undefined): Matcher {
  const reqs = splitTopLevel(text ?? '').map(parseRequirement);
  return (obj) => reqs.every((r) => matches(r, obj.metadata.labels ?? {}));
}

/** Only `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`, as most resources support. */
export function parseFieldSelector(text: string | undefined): Matcher {
  const reqs = splitTopLevel(text ?? '').map((part) => {
    const m = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`field label not supported: ${part.split(/[=!]/)[0]}`);
    return { field: m[1] === 'metadata.name' ? 'name' : 'namespace', neg: m[2] === '!=', value: m[3]! };
  });
  return (obj) =>
    reqs.every((r) => {
      const actual = (r.field === 'name' ? obj.metadata.name : obj.metadata.namespace) ?? '';
      return r.neg ? actual !== r.value : actual === r.value;
    });
}
