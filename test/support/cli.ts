/**
 * Runs the netpack CLI in-process (the same `run` the bin calls) and captures what it prints,
 * so tests assert on exit codes and output without spawning a process.
 */
import { run } from '../../src/cli/run.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stderr split into non-empty lines. */
  lines: string[];
}

export function runCli(...argv: string[]): Promise<CliResult> {
  return runCliWithInput(undefined, ...argv);
}

/** As runCli, with `stdin` as standard input's text (for `-f -`). */
export async function runCliWithInput(stdin: string | undefined, ...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTty: false,
    stdin: () => {
      if (stdin === undefined) throw new Error('the test gave no standard input');
      return stdin;
    },
  });
  return { code, stdout, stderr, lines: stderr.split('\n').filter(Boolean) };
}
