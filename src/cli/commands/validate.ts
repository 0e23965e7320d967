import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../../config/diagnostics.ts';
import { readRegularFile } from '../../files.ts';
import {
  type ClusterMember,
  checkClusterSet,
  passwordDigest,
  writtenPaths,
} from '../../multicluster/index.ts';
import { renderCluster } from '../../render/index.ts';
import { EXIT, type Io, outputOption, printDiagnostics, summary } from '../context.ts';
import { type Loaded, loadClusterFile, readRenderInputs, UsageError } from '../io.ts';

/**
 * A loaded cluster file as a member of a multi-cluster set: positions from its parse, the digest
 * (never the contents) of its Weave password file. Undefined when the file did not load.
 */
export function clusterMember(loaded: Loaded): ClusterMember | undefined {
  if (!loaded.config || loaded.builtInDefault) return undefined;
  const member: ClusterMember = {
    file: loaded.file,
    config: loaded.config,
    locate: (path) => loaded.source.valuePosition(path),
    written: writtenPaths(loaded.origins),
  };
  const password = loaded.config.network.weave.password;
  if (password !== undefined) {
    try {
      member.passwordDigest = passwordDigest(readRegularFile(password));
    } catch {
      // The loader already reported a missing or unreadable file.
    }
  }
  return member;
}

/** True when the files say they join one pod network (known peers, own subnets, or routes). */
export function meantAsSet(results: readonly Loaded[]): boolean {
  return results.some((r) => {
    const w = r.config?.network.weave;
    return (
      r.config?.network.provider === 'weave' &&
      w !== undefined &&
      (w.known_peers.length > 0 || w.ipalloc_default_subnet !== undefined || w.remote_subnets.length > 0)
    );
  });
}

/**
 * What only rendering finds (custom manifests: template errors, YAML errors, removed API
 * versions; duplicate objects): validate renders too, so that nothing render would refuse
 * passes validation. Rendering is pure and fast; its output is thrown away.
 */
function renderProblems(loaded: Loaded): Diagnostic[] {
  if (!loaded.config) return [];
  return renderCluster(loaded.config, readRenderInputs(loaded.config), { includeSecrets: false }).diagnostics;
}

/** A file named twice (the same path once resolved), which would be checked against itself. */
export function repeatedFile(files: readonly (string | undefined)[]): string | undefined {
  const seen = new Set<string>();
  for (const f of files) {
    if (f === undefined) continue;
    const key = resolve(f);
    if (seen.has(key)) return f;
    seen.add(key);
  }
  return undefined;
}

export function registerValidate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check cluster files and report every problem with its position')
    .option('-f, --file <path...>', 'cluster file(s) (default ./cluster.yml, else the built-in default)')
    .addOption(outputOption('text or json', ['text', 'json']))
    .option('--separate', 'with several files: do not check them as one multi-cluster pod network')
    .addHelpText(
      'after',
      `
Examples:
  netpack validate -f cluster.yml
  netpack validate -f cluster.yml -o json | jq '.[].diagnostics'
  netpack validate -f a.yml -f b.yml      # also checks a and b as one shared Weave pod network

Several files that use Weave's known_peers, ipalloc_default_subnet or remote_subnets are
checked as one multi-cluster set: same pod_network_cidr and password, distinct allocation
subnets inside it, known_peers reaching every other cluster, service ranges clear of the
other clusters' pods.

Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.`,
    )
    .action((opts: { file?: string[]; output: string; separate?: boolean }) => {
      const files = opts.file ?? [undefined];
      const twice = repeatedFile(files);
      if (twice) throw new UsageError(`${twice} is given twice; give each cluster file once`);
      const results = files.map((f) => loadClusterFile(f, (line) => io.stderr(`${line}\n`)));
      const extra = new Map<string, Diagnostic[]>();
      if (results.length > 1 && !opts.separate && meantAsSet(results)) {
        if (results.every((r) => r.config)) {
          if (opts.output !== 'json')
            io.stderr(`netpack: checking ${results.length} files as one multi-cluster pod network\n`);
          const members = results.map(clusterMember).filter((m): m is ClusterMember => m !== undefined);
          for (const d of checkClusterSet(members)) extra.set(d.file!, [...(extra.get(d.file!) ?? []), d]);
        } else if (opts.output !== 'json') {
          io.stderr('netpack: multi-cluster checks skipped until every file is valid on its own\n');
        }
      }
      const all = results.map((r) => ({
        file: r.file,
        diagnostics: sortDiagnostics([...r.diagnostics, ...renderProblems(r), ...(extra.get(r.file) ?? [])]),
      }));
      let invalid = false;
      for (const r of all) {
        invalid ||= hasErrors(r.diagnostics);
        if (opts.output !== 'json') {
          printDiagnostics(io, r.diagnostics);
          io.stderr(
            `${r.file}: ${hasErrors(r.diagnostics) ? 'invalid' : 'valid'} (${summary(r.diagnostics)})\n`,
          );
        }
      }
      if (opts.output === 'json') {
        const out = all.map((r) => ({
          file: r.file,
          valid: !hasErrors(r.diagnostics),
          diagnostics: r.diagnostics,
        }));
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      }
      setExit(invalid ? EXIT.invalid : EXIT.ok);
    });
}
