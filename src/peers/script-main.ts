/**
 * Entry of the side-car script (`dist/netpack-sidecar.cjs`, built by scripts/bundle.mjs): the
 * one file that ConfigMap `weave-net-peers` carries and the official node image runs as
 * `node /netpack/sidecar.cjs peers run`. It holds `peers run` only, with the same flags and
 * environment as `netpack peers run` (src/peers/run.ts), and everything it needs bundled in:
 * no node_modules in the container. A small commander program rather than the CLI's own
 * (src/cli/program.ts), which would bring the config loader along.
 */
import { Command, CommanderError } from 'commander';
import { addRunOptions, type RunOpts, RunUsageError, runPeers } from './run.ts';

const stderr = (text: string) => process.stderr.write(text);
const program = new Command('netpack')
  .description('netpack side-car script: only `peers run`')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');
const peers = program.command('peers').exitOverride();
addRunOptions(peers.command('run'))
  .exitOverride()
  .action((opts: RunOpts) => runPeers(opts, stderr));

program.parseAsync(process.argv).then(
  () => {
    process.exitCode = 0;
  },
  (e: Error) => {
    if (e instanceof CommanderError) {
      // commander printed the usage problem (or the help) itself.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    // One line, no stack trace: bad flags and kubeconfig problems are the operator's to fix.
    stderr(`netpack: ${e.message}\n`);
    process.exitCode = e instanceof RunUsageError ? 2 : 1;
  },
);
