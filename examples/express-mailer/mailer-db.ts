import Database from 'better-sqlite3';

/**
 * The mailer's own SQLite database: its templates and contacts. tickwork adds its tables
 * (recurring_campaigns, sequences, ..., tickwork_outbox) to this same file through the same
 * handle when `scheduler.migrate()` runs; it declares no foreign key to these tables.
 */
export type MailerDb = InstanceType<typeof Database>;

export interface TemplateRow {
  id: number;
  name: string;
  subject: string;
  body: string;
}

export interface ContactRow {
  email: string;
  name: string | null;
  timezone: string | null;
}

export function openMailerDb(path: string): MailerDb {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS templates (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL,
      subject TEXT NOT NULL,
      body TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS contacts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      email TEXT NOT NULL UNIQUE,
      name TEXT,
      timezone TEXT,
      list TEXT NOT NULL DEFAULT 'newsletter'
    );
  `);
  const seeded = db.prepare('SELECT count(*) AS n FROM templates').get() as { n: number };
  if (seeded.n === 0) seed(db);
  return db;
}

function seed(db: MailerDb): void {
  const template = db.prepare('INSERT INTO templates (id, name, subject, body) VALUES (?, ?, ?, ?)');
  const contact = db.prepare('INSERT INTO contacts (email, name, timezone, list) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    template.run(
      1,
      'Weekly digest',
      'Your week, {{name}}',
      'Hello {{name}},\n\nHere is what happened this week.',
    );
    template.run(2, 'Welcome', 'Welcome aboard, {{name}}!', 'Hi {{name}}, thanks for signing up.');
    template.run(3, 'Tips', 'Three tips for {{name}}', 'Hi {{name}}, here are three tips to get going.');
    template.run(4, 'Spring sale', 'Spring sale, {{name}}', 'Good morning {{name}}! The sale starts now.');
    contact.run('ada@example.org', 'Ada', 'Europe/London', 'newsletter');
    contact.run('grace@example.org', 'Grace', 'America/New_York', 'newsletter');
    contact.run('alan@example.org', 'Alan', 'Europe/Berlin', 'newsletter');
    contact.run('radia@example.org', 'Radia', 'Asia/Kolkata', 'beta');
  })();
}

export function getTemplate(db: MailerDb, id: number): TemplateRow | undefined {
  return db.prepare('SELECT id, name, subject, body FROM templates WHERE id = ?').get(id) as
    TemplateRow | undefined;
}

export function listContacts(db: MailerDb, list: string): ContactRow[] {
  return db
    .prepare('SELECT email, name, timezone FROM contacts WHERE list = ? ORDER BY id')
    .all(list) as ContactRow[];
}

/** `{{name}}`-style placeholders, filled from the recipient's fields (missing ones become ''). */
export function render(text: string, fields: Record<string, unknown>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => {
    const value = fields[key];
    return value === undefined || value === null ? '' : String(value);
  });
}
