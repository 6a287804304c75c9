import nodemailer from 'nodemailer';
import pg from 'pg';
import {
  createScheduler,
  PermanentDeliveryError,
  type OutgoingMessage,
  type Scheduler,
  type SendContext,
} from 'tickwork';
import { postgresStore } from 'tickwork/postgres';

/**
 * What the API process and every worker process share: one Postgres database (the mailer's
 * tables and tickwork's, in one Postgres schema), the recipient source and the transport.
 */
export interface MailerConfig {
  connectionString: string;
  /** The Postgres schema holding the mailer's tables and tickwork's. */
  schema: string;
  /** The clock for calls outside `tick` (create, enroll...). Default: the wall clock. */
  now?: () => Date;
  /** Called with each message nodemailer accepted. */
  onSent?: (mail: SentMail) => void;
}

export interface SentMail {
  idempotencyKey: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

export interface Mailer {
  pool: pg.Pool;
  scheduler: Scheduler;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_SCHEMA = 'mailer_example';

export function openMailer(config: MailerConfig): Mailer {
  if (!/^[a-z_][a-z0-9_]*$/.test(config.schema)) throw new Error(`bad schema name '${config.schema}'`);
  const pool = new pg.Pool({ connectionString: config.connectionString, max: 5 });
  const table = (name: string) => `"${config.schema}"."${name}"`;
  const mail = nodemailer.createTransport({ jsonTransport: true });
  const templates = new Map<number, { subject: string; body: string }>();

  const scheduler = createScheduler({
    // tickwork's tables go in the same schema, through the mailer's own pool.
    store: postgresStore(pool, { schema: config.schema }),
    recipientSources: {
      contacts: async (data) => {
        const list = (data as { list?: string } | null)?.list ?? 'newsletter';
        const { rows } = await pool.query<{ email: string; name: string; timezone: string }>(
          `SELECT email, name, timezone FROM ${table('contacts')} WHERE list = $1 ORDER BY id`,
          [list],
        );
        return rows;
      },
    },
    transport: {
      async send(message: OutgoingMessage, { idempotencyKey }: SendContext) {
        const template = message.templateId === null ? undefined : await loadTemplate(message.templateId);
        if (!template) throw new PermanentDeliveryError(`template ${message.templateId} does not exist`);
        const fields = { ...message.recipient, name: message.recipient.name ?? message.to };
        const subject = message.subject || render(template.subject, fields);
        const text = render(template.body, fields);
        const info = await mail.sendMail({
          from: 'Acme <news@acme.example>',
          to: message.to,
          cc: message.cc,
          bcc: message.bcc,
          subject,
          text,
          headers: { 'X-Idempotency-Key': idempotencyKey },
        });
        config.onSent?.({ idempotencyKey, to: message.to, subject, text, messageId: info.messageId });
        return { messageId: info.messageId };
      },
    },
    options: config.now ? { clock: config.now } : {},
  });

  async function loadTemplate(id: number) {
    if (!templates.has(id)) {
      const { rows } = await pool.query<{ subject: string; body: string }>(
        `SELECT subject, body FROM ${table('templates')} WHERE id = $1`,
        [id],
      );
      if (rows[0]) templates.set(id, rows[0]);
    }
    return templates.get(id);
  }

  return {
    pool,
    scheduler,
    async close() {
      await scheduler.close(); // waits for a tick in progress; leaves the pool open (it is ours)
      await pool.end();
    },
  };
}

/**
 * Creates the mailer's own tables (and seeds them) and tickwork's. Run once per deploy, from
 * one process (the API here), before the workers start: `CREATE TABLE IF NOT EXISTS` is not
 * safe to race in Postgres. tickwork's own `migrate()` is, and every worker calls it too.
 */
export async function setUpDatabase(mailer: Mailer, schema: string): Promise<void> {
  await mailer.pool.query(`
    CREATE SCHEMA IF NOT EXISTS "${schema}";
    CREATE TABLE IF NOT EXISTS "${schema}".templates (
      id integer PRIMARY KEY,
      name text NOT NULL,
      subject text NOT NULL,
      body text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS "${schema}".contacts (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL UNIQUE,
      name text,
      timezone text,
      list text NOT NULL DEFAULT 'newsletter'
    );
    INSERT INTO "${schema}".templates (id, name, subject, body) VALUES
      (1, 'Daily digest', 'Your day, {{name}}', 'Hello {{name}}, here is your digest.'),
      (2, 'Welcome', 'Welcome aboard, {{name}}!', 'Hi {{name}}, thanks for signing up.'),
      (3, 'Follow-up', 'How is it going, {{name}}?', 'Hi {{name}}, anything we can help with?'),
      (4, 'Spring sale', 'Spring sale, {{name}}', 'Good morning {{name}}! The sale starts now.')
    ON CONFLICT (id) DO NOTHING;
    INSERT INTO "${schema}".contacts (email, name, timezone, list) VALUES
      ('ada@example.org', 'Ada', 'Europe/London', 'newsletter'),
      ('grace@example.org', 'Grace', 'America/New_York', 'newsletter'),
      ('alan@example.org', 'Alan', 'Europe/Berlin', 'newsletter'),
      ('radia@example.org', 'Radia', 'Asia/Kolkata', 'beta')
    ON CONFLICT (email) DO NOTHING;
  `);
  await mailer.scheduler.migrate();
}

/** `{{name}}`-style placeholders, filled from the recipient's fields (missing ones become ''). */
export function render(text: string, fields: Record<string, unknown>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => {
    const value = fields[key];
    return value === undefined || value === null ? '' : String(value);
  });
}
