import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecipientServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Paths requested, in order. */
  hits: string[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (never any other host) with one route per url-source behaviour under test. */
export async function startRecipientServer(): Promise<RecipientServer> {
  const hits: string[] = [];
  let origin = '';
  const json = (res: ServerResponse, body: unknown, type = 'application/json; charset=utf-8') => {
    res.writeHead(200, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/list': (_req, res) => json(res, ['a@x.org', { email: 'B@x.org', name: 'Bea' }, 'b@x.org', 'broken']),
    '/wrapped': (_req, res) => json(res, { recipients: ['w@x.org'], next: null }, 'application/vnd.api+json'),
    '/keyed': (req, res) => {
      if (req.headers['x-api-key'] !== 'secret') {
        res.writeHead(401).end();
        return;
      }
      json(res, ['k@x.org']);
    },
    '/slow-headers': (_req, res) => {
      setTimeout(() => json(res, ['late@x.org']), 2000).unref();
    },
    '/slow-body': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('["a@x.org",');
      setTimeout(() => res.end('"b@x.org"]'), 2000).unref();
    },
    '/big-declared': (_req, res) => {
      const body = JSON.stringify(Array(500).fill('a@x.org'));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    '/big-streamed': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
      res.write('[');
      for (let i = 0; i < 200; i++) res.write(`"r${i}@x.org",`);
      res.end('"last@x.org"]');
    },
    '/bad-json': (_req, res) => json(res, '[{"email": "a@x.org"'),
    '/object': (_req, res) => json(res, { data: ['a@x.org'] }),
    '/number': (_req, res) => json(res, '42'),
    '/html': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    },
    '/error': (_req, res) => res.writeHead(503).end('{"error":"down"}'),
    '/redirect': (_req, res) => res.writeHead(302, { location: `${origin}/list` }).end(),
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    hits.push(path);
    const route = routes[path];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
