/**
 * The commands that never talk to a cluster, as a program of their own. The launcher
 * (scripts/launcher.cjs) runs this smaller bundle for them: it starts faster, with no cluster
 * client in it. Its list of command names must stay equal to OFFLINE_COMMANDS (tested).
 */
import type { Command } from 'commander';
import { registerExplain } from './commands/explain.ts';
import { registerFirewall } from './commands/firewall.ts';
import { registerImages } from './commands/images.ts';
import { registerRender } from './commands/render.ts';
import { registerSchema } from './commands/schema.ts';
import { registerValidate } from './commands/validate.ts';
import type { Io } from './context.ts';
import { runProgram } from './program.ts';

export { handleClosedOutput, VERSION } from './program.ts';

export const OFFLINE_COMMANDS = ['validate', 'explain', 'render', 'images', 'schema', 'firewall'] as const;

export function registerOffline(program: Command, io: Io, setExit: (code: number) => void): void {
  registerValidate(program, io, setExit);
  registerExplain(program, io, setExit);
  registerRender(program, io, setExit);
  registerImages(program, io, setExit);
  registerSchema(program, io);
  registerFirewall(program, io, setExit);
}

/** Runs one of the offline commands with `argv` and returns the exit code. */
export function run(argv: string[], io?: Io): Promise<number> {
  return runProgram(argv, registerOffline, io);
}
