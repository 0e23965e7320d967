/**
 * A problem found in the operator's input. Every diagnostic names the option's dotted path,
 * what is wrong and, where we can tell, how to fix it; the loader adds the source position.
 */
export type Severity = 'error' | 'warning';

/**
 * Every diagnostic's stable `code`, PascalCase like the cluster side's (`ForeignNetwork`). Tests
 * and scripts match on these (and on positions), never on the wording, which may improve.
 * README's "Diagnostic codes" says what each means.
 */
export const DIAGNOSTIC_CODES = [
  // The file as YAML.
  'YamlSyntax',
  'DuplicateKey',
  'YamlAlias',
  'ForbiddenKey',
  'NotAMap',
  'EmptyFile',
  'TooManyHosts',
  // Shapes (the schema).
  'UnknownKey',
  'MissingOption',
  'InvalidType',
  'InvalidValue',
  'OutOfRange',
  'InvalidFormat',
  'InvalidCidr',
  'InvalidAddress',
  'InvalidImageRepository',
  'InvalidAutodetection',
  'InvalidEnvName',
  'InvalidPort',
  // Spellings.
  'AliasConflict',
  'EmptyValue',
  'Deprecated',
  // Across fields (rules.ts).
  'CidrOverlap',
  'AddressInRange',
  'ServiceCidrTooLarge',
  'PodCidrTooSmall',
  'SubnetOutsidePodCidr',
  'FileNotFound',
  'FileEmpty',
  'FileUnreadable',
  'FileNotRegular',
  'FileIsDirectory',
  'IgnoredOption',
  'NoEffect',
  'AzureNoIpip',
  'AzureUnencapsulated',
  'MtuTooSmall',
  'IncompleteTls',
  'EtcdPlainHttp',
  'BackendNeedsBgp',
  'TyphaWithEtcd',
  'TooManyReplicas',
  'DuplicateHost',
  'DuplicateEntry',
  'UnsupportedByVersion',
  'ImageLacksIptables',
  'RegionsWithoutPeering',
  'DnsCacheLinkLocalOnly',
  'TrustsEverything',
  'PortOverlap',
  'NodeOnlyPortOpen',
  'PeersWithoutPassword',
  // Several cluster files (multicluster/).
  'NotWeave',
  'PodCidrMismatch',
  'PasswordMismatch',
  'PeerUnreachable',
  'UnknownPeer',
  'MissingRoute',
  'UnknownRemoteSubnet',
  'ConsensusTwice',
  // Render (the shell's inputs, what the objects need).
  'InputNotRead',
  'EmptyPassword',
  'SidecarScriptMissing',
  'DuplicateObject',
  // Custom manifests and their ERB templates.
  'NoManifests',
  'TemplateSyntax',
  'TemplateUnsupported',
  'TemplateUndefined',
  'TemplateNotPrintable',
  'ErbTagInPlainFile',
  'NotAnObject',
  'MissingObjectFields',
  'RemovedApiVersion',
  'NamespaceScope',
  'InvalidSelector',
  // firewall.
  'UnknownHost',
  'FirewalldDisabled',
  'CustomProviderPorts',
  'HostnameInIpset',
  'Ipv6InIpset',
] as const;
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface Diagnostic {
  /** Stable identifier of the kind of problem, e.g. `InvalidCidr` (see `DIAGNOSTIC_CODES`). */
  code: DiagnosticCode;
  severity: Severity;
  /** Dotted path of the option, e.g. `network.calico.ipip_mode` or `hosts[2].address`. */
  path: string;
  /** What is wrong, e.g. `must be one of Always, CrossSubnet, Never (got "always")`. */
  message: string;
  /** How to fix it, e.g. `did you mean "Always"?`. */
  hint?: string;
  file?: string;
  line?: number;
  col?: number;
}

/** `FILE:LINE:COL: error: PATH: MESSAGE; HINT` — one line, the way compilers print. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}:${d.line ?? 1}:${d.col ?? 1}: ` : '';
  const hint = d.hint ? `; ${d.hint}` : '';
  const path = d.path ? `${d.path}: ` : '';
  return `${where}${d.severity}: ${path}${d.message}${hint}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Errors before warnings, then by position, so the output reads top to bottom. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0) ||
      a.path.localeCompare(b.path),
  );
}
