import type { Command } from 'commander';
import { clusterJsonSchema, networkJsonSchema } from '../../config/schema.ts';
import type { Io } from '../context.ts';

export function registerSchema(program: Command, io: Io): void {
  program
    .command('schema')
    .description(
      'print the JSON Schema of the whole cluster.yml (for editors; --network: only the network: section)',
    )
    .option('--network', 'only the network: section, as a schema of its own', false)
    .addHelpText(
      'after',
      `
Examples:
  netpack schema > cluster.schema.json
  # then, as the first line of cluster.yml (yaml-language-server: VS Code, Neovim, Helix, ...):
  # yaml-language-server: $schema=./cluster.schema.json
  # or, with kube-netpack installed in the project, the copy it ships:
  # yaml-language-server: $schema=./node_modules/kube-netpack/schema/cluster.schema.json`,
    )
    .action((opts: { network: boolean }) => {
      const schema = opts.network ? networkJsonSchema() : clusterJsonSchema();
      io.stdout(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
