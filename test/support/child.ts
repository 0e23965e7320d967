/** Runs a child process to its end and collects its output; a watchdog may kill it. */
import { spawn } from 'node:child_process';

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Whether the watchdog had to kill it (it did not end by itself). */
  killed: boolean;
}

export function runChild(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; watchdogMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const watchdog =
      opts.watchdogMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, opts.watchdogMs);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      resolve({ code, stdout, stderr, killed });
    });
  });
}
