/**
 * A fake Weave router for side-car tests, on 127.0.0.1: records every `POST /connect`
 * (`replace=true` and the peers) and answers `GET /status` with the number of targets it holds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class RecordingRouter {
  calls: string[][] = [];
  private targets: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/connect') {
        const form = new URLSearchParams(body);
        if (form.get('replace') !== 'true') return res.writeHead(400).end('replace=true expected');
        this.targets = form.getAll('peer');
        this.calls.push(this.targets);
        res.writeHead(200).end();
      } else if (req.method === 'GET' && req.url === '/status') {
        res.writeHead(200).end(`        Version: 2.8.1\n        Targets: ${this.targets.length}\n`);
      } else res.writeHead(404).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}
