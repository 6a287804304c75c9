/**
 * A worker process: ticks the shared Postgres database in a loop. Run as many as you like,
 * on as many machines as you like — claims use `FOR UPDATE SKIP LOCKED`, so each message
 * goes out once whichever worker picks it up.
 *
 *   DATABASE_URL=postgres://… MAILER_SCHEMA=mailer_example WORKER_ID=w1 \
 *     node --import tsx examples/fastify-postgres/worker.ts
 *
 * TICK_EVERY_MS sets the loop's pace (default 60000: a tick a minute).
 * TICK_CLOCK=stdin replaces the wall clock by a simulated one: the worker reads one ISO
 * instant per line on stdin, ticks at it, answers `{"event":"ticked",…}` on stdout and exits
 * at the end of the input. (The example's test drives two workers in lockstep this way.)
 *
 * It logs one JSON object per line on stdout.
 */
import { createInterface } from 'node:readline';
import type { TickSummary } from 'tickwork';
import { DEFAULT_DATABASE_URL, DEFAULT_SCHEMA, openMailer } from './mailer.js';

const worker = process.env.WORKER_ID ?? `worker-${process.pid}`;
const log = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, worker, ...fields })}\n`);

const schema = process.env.MAILER_SCHEMA ?? DEFAULT_SCHEMA;
const mailer = openMailer({
  connectionString: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  schema,
  onSent: (mail) => log('sent', { key: mail.idempotencyKey, to: mail.to, subject: mail.subject }),
});
mailer.scheduler.events.on('delivery:dead', (e) =>
  log('dead', { key: e.idempotencyKey, error: String(e.error) }),
);
mailer.scheduler.events.on('error', (e) => log('error', { context: e.context, error: String(e.error) }));
await mailer.scheduler.migrate(); // safe from every worker at once

/** One round: tick, and again at once while a budget ran out with work left. */
async function round(at: Date): Promise<TickSummary | undefined> {
  try {
    let summary: TickSummary;
    do summary = await mailer.scheduler.tick(at);
    while (summary.moreDue);
    return summary;
  } catch (error) {
    // A failed phase (say the database went away) is retried by the next round; nothing is lost.
    log('error', { context: 'tick', error: String(error) });
    return undefined;
  }
}

log('started', { schema, clock: process.env.TICK_CLOCK === 'stdin' ? 'stdin' : 'wall' });
if (process.env.TICK_CLOCK === 'stdin') {
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const at = new Date(line.trim());
    const summary = await round(at);
    log('ticked', { at: at.toISOString(), sent: summary?.delivery.sent ?? 0 });
  }
} else {
  const everyMs = Number(process.env.TICK_EVERY_MS ?? 60_000);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  while (!stop.signal.aborted) {
    await round(new Date());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
await mailer.close();
log('stopped');
