/**
 * Node built-in modules loaded on first use. Every module of the CLI is evaluated at each start
 * (it is one bundle), so a top-level `import http from 'node:http'` costs every command, `render`
 * and `validate` included, a few ms for modules only cluster commands use. Works from the sources
 * (ES modules) and from the CommonJS bundle alike.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const nodeHttp = (): typeof import('node:http') => load('node:http') as typeof import('node:http');
export const nodeHttps = (): typeof import('node:https') => load('node:https') as typeof import('node:https');
export const nodeReadline = (): typeof import('node:readline/promises') =>
  load('node:readline/promises') as typeof import('node:readline/promises');
export const nodeCrypto = (): typeof import('node:crypto') =>
  load('node:crypto') as typeof import('node:crypto');
export const nodeChildProcess = (): typeof import('node:child_process') =>
  load('node:child_process') as typeof import('node:child_process');
