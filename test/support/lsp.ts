/**
 * A minimal Language Server Protocol client over stdio, enough to have yaml-language-server
 * validate documents as an editor would: initialize, answer the server's configuration pull,
 * open a document, take the diagnostics it publishes. JSON-RPC framed by Content-Length headers.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** 1 error, 2 warning, 3 information, 4 hint. */
  severity?: number;
  message: string;
  source?: string;
}

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (m: Message) => void>();
  private readonly diagnostics = new Map<string, (d: LspDiagnostic[]) => void>();
  private version = 0;

  /** `settings` answers the server's `workspace/configuration` pull for section `yaml`. */
  constructor(
    command: string,
    args: string[],
    private readonly settings: Record<string, unknown>,
  ) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.resume();
  }

  private send(message: Message): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.dispatch(message);
    }
  }

  private dispatch(m: Message): void {
    if (m.method === undefined && m.id !== undefined) {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    } else if (m.method === 'workspace/configuration' && m.id !== undefined) {
      const items = (m.params as { items: { section?: string }[] }).items;
      this.send({ id: m.id, result: items.map((i) => (i.section === 'yaml' ? this.settings : {})) });
    } else if (m.method === 'textDocument/publishDiagnostics') {
      const p = m.params as { uri: string; diagnostics: LspDiagnostic[] };
      this.diagnostics.get(p.uri)?.(p.diagnostics);
      this.diagnostics.delete(p.uri);
    } else if (m.id !== undefined) {
      // Any other request of the server's (capability registration, ...): accepted.
      this.send({ id: m.id, result: null });
    }
  }

  request(method: string, params: unknown): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  async initialize(): Promise<void> {
    await this.request('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true } },
    });
    this.notify('initialized', {});
  }

  /** Opens `text` as document `uri` and resolves with the first diagnostics published for it. */
  validate(uri: string, text: string): Promise<LspDiagnostic[]> {
    return new Promise((resolve) => {
      this.diagnostics.set(uri, resolve);
      this.notify('textDocument/didOpen', {
        textDocument: { uri, languageId: 'yaml', version: ++this.version, text },
      });
    });
  }

  close(uri: string): void {
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  async shutdown(): Promise<void> {
    await this.request('shutdown', null);
    this.notify('exit', null);
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}
