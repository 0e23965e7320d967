/**
 * The command line: parses arguments, runs one command, maps failures to exit codes.
 * `run` never exits the process and never prints a stack trace (unless --debug).
 */
import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.ts';
import { registerDelete } from './commands/delete.ts';
import { registerDiff } from './commands/diff.ts';
import { registerExplain } from './commands/explain.ts';
import { registerFirewall } from './commands/firewall.ts';
import { registerImages } from './commands/images.ts';
import { registerPeers } from './commands/peers.ts';
import { registerRender } from './commands/render.ts';
import { registerSchema } from './commands/schema.ts';
import { registerStatus } from './commands/status.ts';
import { registerValidate } from './commands/validate.ts';
import { EXIT, type Io, processIo } from './context.ts';
import { UsageError } from './io.ts';

export const VERSION = '0.1.0';

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('netpack')
    .description(
      'Sets up and keeps up the pod network of a Kubernetes cluster from the network: section of cluster.yml',
    )
    .version(VERSION)
    .option('--debug', 'print stack traces of internal errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .addHelpText(
      'after',
      `
Examples:
  netpack validate -f cluster.yml     check the config, every problem at FILE:LINE:COL
  netpack explain -f cluster.yml      effective config, defaults and derived facts
  netpack render                      objects for the built-in default (Weave Net)
  netpack render -f cluster.yml | kubectl apply --server-side -f -`,
    );
  registerValidate(program, io, setExit);
  registerExplain(program, io, setExit);
  registerRender(program, io, setExit);
  registerImages(program, io, setExit);
  registerSchema(program, io);
  registerApply(program, io, setExit);
  registerDiff(program, io, setExit);
  registerStatus(program, io, setExit);
  registerDelete(program, io, setExit);
  registerPeers(program, io, setExit);
  registerFirewall(program, io, setExit);
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  return program;
}

/**
 * For the process's own output streams. A reader that stops early (`netpack render | head`,
 * `netpack apply 2>&1 | head`) is no reason to stop: the command finishes without output and
 * exits with its own status (an apply half-way would leave the cluster half-changed, and diff's
 * status says whether anything would change). Any other write error is one line and exit 1.
 */
export function handleClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      if (stream === process.stdout) process.stderr.write(`netpack: cannot write the output: ${e.message}\n`);
      process.exit(1);
    });
  }
}

const FILE_SYSTEM_CODES = new Set([
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'ENAMETOOLONG',
]);

/** An error of a file-system call (it names the call and the path), e.g. from --out-dir. */
function isFileSystemError(e: unknown): e is NodeJS.ErrnoException {
  const err = e as NodeJS.ErrnoException;
  return err instanceof Error && FILE_SYSTEM_CODES.has(err.code ?? '') && typeof err.path === 'string';
}

/** Runs netpack with `argv` (without node and script) and returns the exit code. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      io.stderr(`netpack: ${e.message}\n`);
      return EXIT.usage;
    }
    if (isFileSystemError(e)) {
      // A path on the command line that cannot be written or read (--out-dir under a file, a
      // directory that does not exist, no permission): the operator's to fix, not a bug.
      io.stderr(`netpack: ${e.message}\n`);
      return EXIT.usage;
    }
    const debug = argv.includes('--debug');
    io.stderr(`netpack: internal error: ${(e as Error).message ?? e}\n`);
    if (debug) io.stderr(`${(e as Error).stack}\n`);
    else io.stderr('netpack: run again with --debug for the stack trace, and please report it\n');
    return 70;
  }
}
