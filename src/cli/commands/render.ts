import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { hasErrors } from '../../config/diagnostics.ts';
import { renderCluster } from '../../render/index.ts';
import { outDirFiles, toJsonList, toYamlStream } from '../../render/serialize.ts';
import type { RenderResult } from '../../render/types.ts';
import { EXIT, type Io, printDiagnostics } from '../context.ts';
import { type Loaded, loadClusterFile, readRenderInputs, UsageError } from '../io.ts';

/** Loads, checks and renders; prints diagnostics. Undefined when the config is invalid. */
export function loadAndRender(
  file: string | undefined,
  io: Io,
  includeSecrets: boolean,
): { loaded: Loaded; result: RenderResult } | undefined {
  const loaded = loadClusterFile(file, (line) => io.stderr(`${line}\n`));
  printDiagnostics(io, loaded.diagnostics);
  if (!loaded.config) return undefined;
  const result = renderCluster(loaded.config, readRenderInputs(loaded.config), { includeSecrets });
  printDiagnostics(io, result.diagnostics);
  if (hasErrors(result.diagnostics)) return undefined;
  return { loaded, result };
}

export function registerRender(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('render')
    .description('print the Kubernetes objects of the cluster network (nothing is sent anywhere)')
    .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
    .option('-o, --output <format>', 'yaml (multi-document) or json (a v1 List)', 'yaml')
    .option('--out-dir <dir>', 'write one file per object, named in apply order')
    .option('--include-secrets', 'include Secrets whose values come from files (off: never printed)', false)
    .addHelpText(
      'after',
      `
Examples:
  netpack render                          # the built-in default (Weave Net)
  netpack render -f cluster.yml | kubectl apply --server-side -f -
  netpack render -f cluster.yml -o json | jq '.items[].kind'
  netpack render -f cluster.yml --out-dir manifests/`,
    )
    .action((opts: { file?: string; output: string; outDir?: string; includeSecrets: boolean }) => {
      if (opts.output !== 'yaml' && opts.output !== 'json') throw new UsageError(`--output must be yaml or json (got "${opts.output}")`);
      const rendered = loadAndRender(opts.file, io, opts.includeSecrets);
      if (!rendered) return setExit(EXIT.invalid);
      const { objects, pendingSecrets } = rendered.result;
      for (const s of pendingSecrets) {
        io.stderr(`netpack: Secret ${s.namespace}/${s.name} is not printed; apply creates it from ${s.source}\n`);
      }
      if (opts.outDir) {
        mkdirSync(opts.outDir, { recursive: true });
        // Stale files from an earlier render would be applied too: clear ours first.
        for (const f of readdirSync(opts.outDir)) if (/^\d{3,}-.*\.yaml$/.test(f)) rmSync(join(opts.outDir, f));
        const files = outDirFiles(objects);
        for (const f of files) writeFileSync(join(opts.outDir, f.name), f.content);
        io.stderr(`netpack: wrote ${files.length} files to ${opts.outDir}\n`);
      } else {
        io.stdout(opts.output === 'json' ? toJsonList(objects) : toYamlStream(objects));
      }
      setExit(EXIT.ok);
    });
}
