/**
 * The mailer (Express + SQLite) adopting tickwork.
 *
 *   node --import tsx examples/express-mailer/server.ts      (PORT, MAILER_DB, MAILER_TOKEN)
 *
 * - its own better-sqlite3 database, shared with tickwork (`sqliteStore(db)`);
 * - tickwork's routes mounted at `/api` behind the mailer's own auth middleware, next to the
 *   mailer's own routes;
 * - a transport that renders the mailer's templates and sends with nodemailer;
 * - `tick` every minute from the mailer's own scheduler (its `services/scheduler.ts`).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createScheduler, type Scheduler, type TickSummary } from 'tickwork';
import { tickworkRouter } from 'tickwork/express';
import { sqliteStore } from 'tickwork/sqlite';
import { listContacts, openMailerDb, type MailerDb } from './mailer-db.js';
import { createMailTransport, type MailTransport } from './transport.js';

export interface MailerOptions {
  /** 0 picks a free port. */
  port: number;
  dbPath: string;
  /** The clock. Default: the wall clock; tests pass a fake one. */
  now?: () => Date;
  /** The bearer token the API wants. Default 'dev-token'. */
  token?: string;
  /** How often the mailer's scheduler ticks; `false` to not start it (tests tick by hand). Default 60 s. */
  tickEveryMs?: number | false;
  log?: (line: string) => void;
}

export interface Mailer {
  /** Base URL of the API, e.g. http://127.0.0.1:3000/api */
  url: string;
  scheduler: Scheduler;
  db: MailerDb;
  transport: MailTransport;
  /** One round of the mailer's scheduler job: ticks until nothing more is due. */
  tick(now?: Date): Promise<TickSummary>;
  close(): Promise<void>;
}

export async function startMailer(options: MailerOptions): Promise<Mailer> {
  const now = options.now ?? (() => new Date());
  const token = options.token ?? 'dev-token';
  const log = options.log ?? (() => undefined);

  // 1. The mailer's database and tickwork on the same handle.
  const db = openMailerDb(options.dbPath);
  const transport = createMailTransport(db);
  const scheduler = createScheduler({
    store: sqliteStore(db),
    transport,
    // The plan's "api" recipient source: the mailer's own contact lists, by name.
    recipientSources: {
      contacts: (data) =>
        listContacts(db, (data as { list?: string } | null)?.list ?? 'newsletter').map((c) => ({
          email: c.email,
          name: c.name ?? undefined,
          timezone: c.timezone ?? undefined,
        })),
    },
    options: { clock: now },
  });
  await scheduler.migrate();
  scheduler.events.on('delivery:sent', (e) => log(`sent ${e.idempotencyKey} to ${e.to}`));
  scheduler.events.on('delivery:dead', (e) => log(`gave up on ${e.to}: ${String(e.error)}`));
  scheduler.events.on('error', (e) => log(`tickwork error (${e.context}): ${String(e.error)}`));

  // 2. The HTTP API: the mailer's auth in front of everything under /api.
  const app = express();
  const requireAuth = (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' } });
      return;
    }
    next();
  };
  app.use('/api', requireAuth, tickworkRouter(scheduler));
  // The mailer's own routes live beside tickwork's (requests tickwork does not serve fall through).
  app.get('/api/templates', (_req, res) => {
    res.json({ items: db.prepare('SELECT id, name, subject FROM templates ORDER BY id').all() });
  });
  app.get('/api/deliveries', async (req, res) => {
    const status = req.query.status === 'dead' ? 'dead' : 'sent';
    res.json({ items: await scheduler.deliveries.list({ status, limit: 100 }) });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(options.port, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;

  // 3. The mailer's scheduler job: one tick, and again at once while more is due.
  async function tick(at: Date = now()): Promise<TickSummary> {
    let summary: TickSummary;
    do summary = await scheduler.tick(at);
    while (summary.moreDue);
    return summary;
  }
  let busy = false;
  const timer =
    options.tickEveryMs === false
      ? undefined
      : setInterval(() => {
          if (busy) return; // the previous round is still going
          busy = true;
          tick()
            .catch((error: unknown) => log(`tick failed: ${String(error)}`))
            .finally(() => (busy = false));
        }, options.tickEveryMs ?? 60_000);

  return {
    url: `http://127.0.0.1:${port}/api`,
    scheduler,
    db,
    transport,
    tick,
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      await scheduler.close(); // waits for a tick in progress; leaves the mailer's handle open
      db.close();
    },
  };
}

async function main(): Promise<void> {
  const token = process.env.MAILER_TOKEN ?? 'dev-token';
  const mailer = await startMailer({
    port: Number(process.env.PORT ?? 3000),
    dbPath: process.env.MAILER_DB ?? 'mailer.db',
    token,
    log: (line) => console.log(`[mailer] ${line}`),
  });
  console.log(`mailer listening on ${mailer.url} (SQLite: ${process.env.MAILER_DB ?? 'mailer.db'})`);
  console.log(`try:  curl -H 'authorization: Bearer ${token}' ${mailer.url}/recurring`);
  await mailer.tick(); // catch up at start, then every minute
  const stop = () => {
    console.log('stopping…');
    mailer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
