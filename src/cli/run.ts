/**
 * The whole CLI: every command. `offline.ts` is the same program with only the commands that
 * never talk to a cluster (the launcher starts it for those, as it starts faster).
 */
import type { Command } from 'commander';
import { registerApply } from './commands/apply.ts';
import { registerCheck } from './commands/check.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerDelete } from './commands/delete.ts';
import { registerDiff } from './commands/diff.ts';
import { registerPeers } from './commands/peers.ts';
import { registerStatus } from './commands/status.ts';
import { registerVersion } from './commands/version.ts';
import type { Io } from './context.ts';
import { registerOffline } from './offline.ts';
import { createProgram, runProgram } from './program.ts';

export { handleClosedOutput, VERSION } from './program.ts';

function registerAll(program: Command, io: Io, setExit: (code: number) => void): void {
  registerOffline(program, io, setExit);
  registerApply(program, io, setExit);
  registerDiff(program, io, setExit);
  registerStatus(program, io, setExit);
  registerDelete(program, io, setExit);
  registerPeers(program, io, setExit);
  registerCheck(program, io, setExit);
  registerVersion(program, io, setExit);
  registerCompletion(program, io, setExit);
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  return createProgram(io, setExit, registerAll);
}

/** Runs netpack with `argv` (without node and script) and returns the exit code. */
export function run(argv: string[], io?: Io): Promise<number> {
  return runProgram(argv, registerAll, io);
}
