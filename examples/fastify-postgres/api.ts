import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { tickworkPlugin } from 'tickwork/fastify';
import { openMailer, setUpDatabase, type Mailer } from './mailer.js';

export interface ApiOptions {
  /** 0 picks a free port. */
  port: number;
  connectionString: string;
  schema: string;
  /** The bearer token the API wants. Default 'dev-token'. */
  token?: string;
  /** The clock for create/enroll/cancel. Default: the wall clock. */
  now?: () => Date;
}

export interface Api {
  /** Base URL of the API, e.g. http://127.0.0.1:3000/api */
  url: string;
  mailer: Mailer;
  close(): Promise<void>;
}

/**
 * The web process: serves tickwork's routes (and the mailer's own) at /api behind the
 * mailer's auth hook. It never ticks; the worker processes do.
 */
export async function startApi(options: ApiOptions): Promise<Api> {
  const token = options.token ?? 'dev-token';
  const mailer = openMailer({
    connectionString: options.connectionString,
    schema: options.schema,
    now: options.now,
  });
  await setUpDatabase(mailer, options.schema);

  const app = Fastify();
  await app.register(
    async (api) => {
      // The mailer's auth runs before every route in this scope, tickwork's included.
      api.addHook('onRequest', async (request, reply) => {
        if (request.headers.authorization !== `Bearer ${token}`) {
          await reply
            .code(401)
            .send({ error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' } });
        }
      });
      await api.register(tickworkPlugin, { scheduler: mailer.scheduler });
      // The mailer's own routes beside tickwork's.
      api.get('/deliveries', async (request) => {
        const status = (request.query as { status?: string }).status === 'dead' ? 'dead' : 'sent';
        return { items: await mailer.scheduler.deliveries.list({ status, limit: 500 }) };
      });
      api.get('/deliveries/counts', async () => mailer.scheduler.deliveries.counts());
    },
    { prefix: '/api' },
  );
  await app.listen({ port: options.port, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api`,
    mailer,
    async close() {
      await app.close();
      await mailer.close();
    },
  };
}
