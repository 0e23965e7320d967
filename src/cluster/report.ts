/** Text for people: plans, refusals and apply summaries. Never prints a Secret's values (plan redacts them). */
import type { Refusal } from './guard.ts';
import { covers, type FieldChange, isObject, type Plan } from './plan.ts';
import { showRef } from './types.ts';

const MAX_VALUE = 160;

function show(value: unknown): string {
  const text = value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** Members' `name`s when every member has a distinct string one (containers, env, ports, volumes). */
function names(list: unknown[]): string[] | undefined {
  const out = list.map((m) => (isObject(m) && typeof m.name === 'string' ? m.name : undefined));
  if (out.some((n) => n === undefined) || new Set(out).size !== out.length) return undefined;
  return out as string[];
}

/**
 * The differences inside a changed value, for people: plan compares lists as wholes, which
 * would show two truncated JSON blobs. Members are matched by `name` (else by index when the
 * lengths match); fields only the live side has are server defaults and not shown. Falls back
 * to the whole value when nothing smaller explains the change (e.g. members reordered).
 */
function details(path: string, from: unknown, to: unknown): FieldChange[] {
  const whole: FieldChange[] = [{ op: 'change', path, from, to }];
  if (Array.isArray(from) && Array.isArray(to)) {
    const fromNames = names(from);
    const toNames = names(to);
    const out: FieldChange[] = [];
    if (fromNames && toNames) {
      to.forEach((m, i) => {
        const at = `${path}[name=${toNames[i]}]`;
        const j = fromNames.indexOf(toNames[i] as string);
        if (j < 0) out.push({ op: 'add', path: at, to: m });
        else out.push(...details(at, from[j], m));
      });
      from.forEach((m, j) => {
        if (!toNames.includes(fromNames[j] as string))
          out.push({ op: 'remove', path: `${path}[name=${fromNames[j]}]`, from: m });
      });
    } else if (from.length === to.length) {
      for (const [i, m] of to.entries()) out.push(...details(`${path}[${i}]`, from[i], m));
    }
    return out.length > 0 ? out : covers(to, from) ? [] : whole;
  }
  if (isObject(from) && isObject(to)) {
    const out: FieldChange[] = [];
    for (const [k, v] of Object.entries(to)) {
      if (from[k] === undefined) out.push({ op: 'add', path: `${path}.${k}`, to: v });
      else out.push(...details(`${path}.${k}`, from[k], v));
    }
    return out.length > 0 || covers(to, from) ? out : whole;
  }
  return covers(to, from) ? [] : whole;
}

export function formatChange(c: FieldChange): string {
  switch (c.op) {
    case 'add':
      return `    + ${c.path}: ${show(c.to)}`;
    case 'change':
      return `    ~ ${c.path}: ${show(c.from)} -> ${show(c.to)}`;
    case 'remove':
      return `    - ${c.path} (was ${show(c.from)})`;
  }
}

export function formatRefusals(refusals: readonly Refusal[]): string[] {
  return refusals.map((r) => `refused: ${r.message}`);
}

/** One line per object that would change (unchanged ones only counted), fields indented below. */
export function formatPlan(plan: Plan, secretsToCreate: readonly string[], stateChanges: boolean): string[] {
  const lines: string[] = [];
  let unchanged = 0;
  for (const item of plan.items) {
    switch (item.action) {
      case 'create':
        lines.push(`+ create ${showRef(item.ref)}`);
        break;
      case 'update':
      case 'adopt':
        lines.push(
          item.action === 'update'
            ? `~ change ${showRef(item.ref)}`
            : `* adopt  ${showRef(item.ref)} (exists without netpack's label; apply --adopt takes it over)`,
        );
        for (const c of item.changes) {
          const shown = c.op === 'change' ? details(c.path, c.from, c.to) : [c];
          for (const d of shown.length > 0 ? shown : [c]) lines.push(formatChange(d));
        }
        break;
      case 'prune':
        lines.push(`- prune  ${showRef(item.ref)}`);
        break;
      case 'keep':
        lines.push(`  keep   ${showRef(item.ref)} (left alone: ${item.why})`);
        break;
      case 'unchanged':
        unchanged++;
        break;
    }
  }
  for (const s of secretsToCreate) lines.push(`+ create Secret/${s} (create-only; value never shown)`);
  if (stateChanges) lines.push('~ record ConfigMap/kube-system/netpack-state (applied config and inventory)');
  lines.push(`${unchanged} unchanged`);
  return lines;
}

/** Warnings for create-only Secrets whose file changed: netpack keeps them as they are. */
export function formatStaleSecrets(stale: readonly { name: string; source: string }[]): string[] {
  return stale.map(
    (s) =>
      `Secret/${s.name} differs from ${s.source}; netpack never updates it (nodes would disagree mid-rotation): to rotate, delete the Secret, apply again, then restart the pods that use it`,
  );
}

/** A plan for machines (`-o json|yaml` of apply, diff): one entry per object that would change. */
export interface PlanReport {
  refusals: string[];
  changes: (
    | { action: 'create' | 'prune'; object: string }
    | { action: 'update' | 'adopt'; object: string; fields: FieldChange[] }
    | { action: 'keep'; object: string; reason: string }
  )[];
  /** Create-only Secrets that would be created (their values are never shown). */
  secretsToCreate: string[];
  /** The state ConfigMap would be written. */
  stateChanges: boolean;
  unchanged: number;
}

/** The plan as data, keys always present and in this order (Secret values are redacted by plan). */
export function planReport(
  plan: Plan,
  refusals: readonly Refusal[],
  secretsToCreate: readonly string[],
  stateChanges: boolean,
): PlanReport {
  const changes: PlanReport['changes'] = [];
  let unchanged = 0;
  for (const item of plan.items) {
    const object = showRef(item.ref);
    if (item.action === 'unchanged') unchanged++;
    else if (item.action === 'update' || item.action === 'adopt')
      changes.push({ action: item.action, object, fields: item.changes });
    else if (item.action === 'keep') changes.push({ action: 'keep', object, reason: item.why });
    else changes.push({ action: item.action, object });
  }
  return {
    refusals: refusals.map((r) => r.message),
    changes,
    secretsToCreate: [...secretsToCreate],
    stateChanges,
    unchanged,
  };
}
