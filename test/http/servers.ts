import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import type { Scheduler } from '../../src/index.js';
import { tickworkRouter } from '../../src/express/index.js';
import { tickworkPlugin } from '../../src/fastify/index.js';

/** A real HTTP server on a loopback port serving tickwork's routes under `/api`. */
export interface TestServer {
  readonly adapter: AdapterName;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export type AdapterName = 'express' | 'fastify';

export interface ServeOptions {
  /** Rejects requests without `authorization: Bearer secret` before they reach tickwork. */
  auth?: boolean;
  bodyLimit?: number;
  prefix?: string;
}

export const AUTH_HEADER = { authorization: 'Bearer secret' };

export async function serve(
  adapter: AdapterName,
  scheduler: Scheduler,
  options: ServeOptions = {},
): Promise<TestServer> {
  const prefix = options.prefix ?? '/api';
  if (adapter === 'express') {
    const app = express();
    const router = tickworkRouter(scheduler, { bodyLimit: options.bodyLimit });
    if (options.auth) {
      app.use(prefix, (req, res, next) => {
        if (req.headers.authorization !== AUTH_HEADER.authorization) {
          res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'sign in' } });
          return;
        }
        next();
      });
    }
    app.use(prefix, router);
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    return {
      adapter,
      baseUrl: `http://127.0.0.1:${port}${prefix}`,
      close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
    };
  }
  const app = Fastify();
  await app.register(
    async (scope) => {
      if (options.auth) {
        scope.addHook('onRequest', async (request, reply) => {
          if (request.headers.authorization !== AUTH_HEADER.authorization) {
            await reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'sign in' } });
          }
        });
      }
      await scope.register(tickworkPlugin, { scheduler, bodyLimit: options.bodyLimit });
    },
    { prefix },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { adapter, baseUrl: `http://127.0.0.1:${port}${prefix}`, close: () => app.close() };
}

export interface JsonAnswer<T = unknown> {
  status: number;
  body: T;
}

/** fetch with a JSON body (or a raw string body), returning status and parsed JSON. */
export async function call<T = Record<string, unknown>>(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  init: { raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonAnswer<T>> {
  const hasBody = body !== undefined || init.raw !== undefined;
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...AUTH_HEADER, ...init.headers },
    body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
