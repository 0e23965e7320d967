/**
 * The CLI around the commands: the commander program (global options, help, exit handling) and
 * running it on argv. Commands are registered by the entry that builds it: run.ts (all of them)
 * or offline.ts (those that never talk to a cluster, bundled apart so they start faster).
 */
import { Command, CommanderError } from 'commander';
import { EXIT, type Io, processIo } from './context.ts';
import { UsageError } from './io.ts';

export const VERSION = '0.1.0';

/** Registers commands on the program; `setExit` records a command's exit status. */
export type Registrar = (program: Command, io: Io, setExit: (code: number) => void) => void;

export function createProgram(io: Io, setExit: (code: number) => void, register: Registrar): Command {
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
  netpack diff -f cluster.yml         what apply would change (exit 0 none, 1 some, 2 error)
  netpack apply -f cluster.yml        apply it and wait for the rollout (a fresh cluster too)
  kubectl netpack version             the same program as a kubectl plugin`,
    );
  register(program, io, setExit);
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

/** Runs the program with `argv` (without node and script) and returns the exit code. */
export async function runProgram(argv: string[], register: Registrar, io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = createProgram(
    io,
    (c) => {
      code = c;
    },
    register,
  );
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
