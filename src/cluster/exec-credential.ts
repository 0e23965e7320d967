/**
 * Exec credential plugins (`users[].user.exec`: aws-iam-authenticator, gke-gcloud-auth-plugin,
 * kubelogin, …), run the way kubectl runs them. Hand-written rather than client-node's ExecAuth,
 * which keeps a credential until the very moment it expires (a request sent just before then
 * arrives with an expired token), never re-runs the plugin on a 401, reports a failing plugin
 * as its bare stderr (or a TypeError when the output lacks `status`), and gives no way to say
 * which plugin of which user failed.
 *
 * Every failure is one `ExecPluginError` (code `ExecPluginFailed`) naming the command and the
 * user, with the plugin's stderr cut to one line. The plugin's stdout (the token) is never put
 * in a message, and long token-like runs in its stderr are blanked out.
 */
import { nodeChildProcess } from '../builtin.ts';
import { ExecPluginError, oneLine } from './errors.ts';

/** `users[].user.exec` of a kubeconfig, as client-node reads it. */
export interface ExecConfig {
  command?: string;
  args?: string[] | null;
  env?: { name: string; value: string }[] | null;
  apiVersion?: string;
  installHint?: string;
}

/** What a plugin gave: a bearer token and/or a client certificate, maybe with an expiry. */
export interface ExecCredential {
  token?: string;
  cert?: string;
  key?: string;
  /** Milliseconds since the epoch; undefined: valid for the whole run. */
  expiresAt?: number;
}

/** A credential is renewed this long before its expiry, so that no request carries a stale one. */
export const REFRESH_BEFORE_MS = 60_000;

/** How long the plugin may take: it may wait for a cloud API, but not for ever. */
const PLUGIN_TIMEOUT_MS = 120_000;

/** Long runs of token characters (JWTs, base64 keys) in a plugin's stderr are not shown. */
function redact(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_.~-]{32,}/g, '[redacted]');
}

/** Runs the plugin of one kubeconfig user and keeps its credential until shortly before expiry. */
export class ExecCredentials {
  private current: ExecCredential | undefined;
  private pending: Promise<ExecCredential> | undefined;
  /** Times the plugin was run (tests, --verbose). */
  runs = 0;

  constructor(
    private readonly exec: ExecConfig,
    /** `user "u" of kubeconfig F`, for messages. */
    private readonly who: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The credential to send now: the kept one while it is fresh, else a new one. */
  get(): Promise<ExecCredential> {
    const c = this.current;
    if (c && (c.expiresAt === undefined || c.expiresAt - REFRESH_BEFORE_MS > this.now()))
      return Promise.resolve(c);
    // Concurrent requests wait for one run of the plugin.
    this.pending ??= this.run().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The server refused the credential (401): the next get() runs the plugin again. */
  invalidate(): void {
    this.current = undefined;
  }

  private fail(why: string): ExecPluginError {
    return new ExecPluginError(`the exec credential plugin "${this.exec.command}" of ${this.who} ${why}`);
  }

  private run(): Promise<ExecCredential> {
    const command = this.exec.command;
    if (!command) return Promise.reject(this.fail('has no command: set users[].user.exec.command'));
    this.runs++;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of this.exec.env ?? []) env[e.name] = e.value;
    // What kubectl tells the plugin: which API version to answer in, and that nobody can answer
    // a prompt (stdin is not the plugin's).
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
      apiVersion: this.exec.apiVersion ?? 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let spawnError: NodeJS.ErrnoException | undefined;
      const child = nodeChildProcess().spawn(command, this.exec.args ?? [], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), PLUGIN_TIMEOUT_MS);
      timer.unref();
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < 1_000_000) stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 100_000) stderr += d;
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = e;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (spawnError) {
          const hint = this.exec.installHint ? `: ${oneLine(this.exec.installHint, 200)}` : '';
          return reject(
            this.fail(
              spawnError.code === 'ENOENT'
                ? `is not installed (no such command on PATH)${hint || ': install it, or pick another context'}`
                : spawnError.code === 'EACCES'
                  ? 'cannot be run (permission denied)'
                  : `cannot be run (${oneLine(spawnError.message, 200)})`,
            ),
          );
        }
        const said = oneLine(redact(stderr), 300);
        if (code !== 0)
          return reject(
            this.fail(
              `${signal ? `was killed (${signal})` : `failed (exit ${code})`}${said ? `: ${said}` : ', saying nothing on stderr'}`,
            ),
          );
        try {
          this.current = this.parse(stdout);
          resolve(this.current);
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Reads the plugin's ExecCredential; the text itself never goes into a message. */
  private parse(stdout: string): ExecCredential {
    let doc: unknown;
    try {
      doc = JSON.parse(stdout);
    } catch {
      throw this.fail('printed something that is not an ExecCredential (JSON expected on stdout)');
    }
    const status = (doc as { status?: unknown } | null)?.status as
      | {
          token?: unknown;
          clientCertificateData?: unknown;
          clientKeyData?: unknown;
          expirationTimestamp?: unknown;
        }
      | undefined;
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const token = str(status?.token);
    const cert = str(status?.clientCertificateData);
    const key = str(status?.clientKeyData);
    if (!token && !(cert && key))
      throw this.fail(
        'printed an ExecCredential without status.token or status.clientCertificateData and clientKeyData',
      );
    const cred: ExecCredential = {};
    if (token) cred.token = token;
    if (cert && key) Object.assign(cred, { cert, key });
    const expiry = str(status?.expirationTimestamp);
    if (expiry !== undefined) {
      const at = Date.parse(expiry);
      if (Number.isNaN(at))
        throw this.fail(`printed an expirationTimestamp that is not a time ("${oneLine(expiry, 40)}")`);
      cred.expiresAt = at;
    }
    return cred;
  }
}
