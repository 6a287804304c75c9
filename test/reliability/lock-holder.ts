/*
 * Another process holding SQLite's write lock, for database-faults.test.ts. Commands on stdin,
 * one a line: `lock` (BEGIN EXCLUSIVE; answers `locked`), `unlock` (COMMIT; answers `unlocked`).
 * It answers `ready` once the database is open and exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!);
db.pragma('busy_timeout = 5000');
const lines = createInterface({ input: process.stdin });
lines.on('line', (command) => {
  if (command === 'lock') {
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\n');
  } else if (command === 'unlock') {
    db.exec('COMMIT');
    process.stdout.write('unlocked\n');
  } else {
    process.stdout.write(`unknown command ${command}\n`);
  }
});
lines.on('close', () => {
  db.close();
  process.exit(0);
});
process.stdout.write('ready\n');
