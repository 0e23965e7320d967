/**
 * netpack as a library: the pure core, without the CLI. Every function here is free of I/O;
 * the caller reads files and talks to the cluster (see src/cli/ and src/cluster/ for how).
 *
 *   const { config, diagnostics } = loadConfig(text, { file, baseDir, probe });
 *   if (config) process.stdout.write(toYamlStream(renderCluster(config, inputs, opts).objects));
 */

export { planRuns, targetsOf } from './check/plan.ts';
export { buildReport, type CheckFinding, type CheckReport, formatReport } from './check/report.ts';
export { checkObjects } from './check/resources.ts';
export { clusterStatus, formatStatus } from './cluster/status.ts';
export { deriveFacts, deriveValues } from './config/derived.ts';
export {
  DIAGNOSTIC_CODES,
  type Diagnostic,
  type DiagnosticCode,
  formatDiagnostic,
  hasErrors,
} from './config/diagnostics.ts';
export { type Explanation, explain, explainText } from './config/explain.ts';
export { type LoadOptions, type LoadResult, loadConfig } from './config/load.ts';
export type { FileKind, FileProbe } from './config/reporter.ts';
export { clusterJsonSchema, networkJsonSchema } from './config/schema.ts';
export type * from './config/types.ts';
export { planFirewall } from './firewall/index.ts';
export { checkClusterSet } from './multicluster/index.ts';
export { PeerIndex, planCluster, planForNode } from './peers/plan.ts';
export { listImagePairs, outDirFiles, renderCluster, toJsonList, toYamlStream } from './render/index.ts';
export type { KubeObject, RenderInputs, RenderOptions, RenderResult } from './render/types.ts';
