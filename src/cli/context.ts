/**
 * What a command needs from the outside world, so that tests can run the CLI in-process.
 */
import { Option } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { type Diagnostic, formatDiagnostic } from '../config/diagnostics.ts';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (progress and colour only then). */
  isTty: boolean;
  /**
   * Whether stderr is a terminal that redraws (not `TERM=dumb`): rollout progress is redrawn in
   * place there, else written a line per change. Absent: no.
   */
  stderrTty?: boolean;
  /** The terminal's width, for lines that must fit it (progress). */
  columns?: number;
  /** Standard input's text, for `-f -` (absent: read file descriptor 0). */
  stdin?: () => string;
  /**
   * Runs `handler` on Ctrl-C (SIGINT) instead of dying silently, then ends the process with 130;
   * returns the function that stops listening. Absent (tests in-process): nothing to listen to.
   */
  onInterrupt?: (handler: () => void) => () => void;
}

/** Writes to a stream whose reader has gone are dropped (see handleClosedOutput in run.ts). */
export const processIo: Io = {
  stdout: (text) => {
    if (!process.stdout.destroyed) process.stdout.write(text);
  },
  stderr: (text) => {
    if (!process.stderr.destroyed) process.stderr.write(text);
  },
  isTty: !!process.stdout.isTTY,
  stderrTty: !!process.stderr.isTTY && process.env.TERM !== 'dumb',
  get columns() {
    return process.stderr.columns;
  },
  onInterrupt(handler) {
    // The one exit below main.ts: a Ctrl-C ends the process whatever it awaits (as it would
    // without a handler), after the command said what it had done.
    const on = () => {
      handler();
      process.exit(130);
    };
    process.once('SIGINT', on);
    return () => process.off('SIGINT', on);
  },
};

/** Exit codes: 0 fine, 1 the config (or cluster) is not fine, 2 usage or unreadable input. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
}

export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/** `-o, --output <format>`: one of `formats` (the first is the default); anything else is a usage error. */
export function outputOption(description: string, formats: readonly string[]): Option {
  return new Option('-o, --output <format>', description).choices(formats).default(formats[0]);
}

/** A machine-readable report (`-o json` or `-o yaml`) on stdout; keys in the order the caller built them. */
export function printReport(io: Io, format: 'json' | 'yaml', report: unknown): void {
  io.stdout(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : stringifyYaml(report));
}
