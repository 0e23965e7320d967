/**
 * A fake Weave router for side-car tests, on 127.0.0.1: records every `POST /connect` (it must be
 * a form with `replace=true`), answers `GET /status` with the number of targets it holds and
 * `GET /status/targets` with them; it can be stopped and started again on the same port, as a
 * restarted router that remembers nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class RecordingRouter {
  calls: string[][] = [];
  statusCalls = 0;
  private targets: string[] = [];
  private server: Server | undefined;
  port = 0;

  /** Listens (on `port`, to restart on the same one) and returns the router's URL. */
  async start(port = 0): Promise<string> {
    this.targets = []; // a restarted router remembers nothing
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/connect') {
          const form = new URLSearchParams(body);
          assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
          assert.equal(form.get('replace'), 'true');
          this.targets = form.getAll('peer');
          this.calls.push(this.targets);
          res.writeHead(200).end();
        } else if (req.method === 'GET' && req.url === '/status') {
          this.statusCalls++;
          res
            .writeHead(200)
            .end(`        Version: 2.8.1\n        Targets: ${this.targets.length}\n    Connections: 0\n`);
        } else if (req.method === 'GET' && req.url === '/status/targets') {
          // Weave lists them one per line, in no particular order.
          res.writeHead(200).end(
            [...this.targets]
              .reverse()
              .map((t) => `${t}\n`)
              .join(''),
          );
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  /** What a router that restarted between two checks holds: other targets, as many. */
  forget(replacement: string[]): void {
    this.targets = replacement;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}
