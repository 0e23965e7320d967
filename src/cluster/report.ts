/** Text for people: plans, refusals and apply summaries. Never prints a Secret's values (plan redacts them). */
import type { Refusal } from './guard.ts';
import type { FieldChange, Plan } from './plan.ts';
import { showRef } from './types.ts';

const MAX_VALUE = 160;

function show(value: unknown): string {
  const text = value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
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
        lines.push(`~ change ${showRef(item.ref)}`);
        for (const c of item.changes) lines.push(formatChange(c));
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
