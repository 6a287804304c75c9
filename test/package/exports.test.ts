import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// These run the built package (`npm test` builds first) through its own name, in a fresh
// Node process, exactly as a host would import it.
const root = fileURLToPath(new URL('../..', import.meta.url));
const SUBPATHS = [
  'tickwork',
  'tickwork/sqlite',
  'tickwork/postgres',
  'tickwork/express',
  'tickwork/fastify',
  'tickwork/testing',
];

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('package exports', () => {
  it('has a build to test', () => {
    expect(existsSync(`${root}/dist/index.js`), 'run `npm run build` first (npm test does)').toBe(true);
  });

  it('every subpath resolves through import', () => {
    const script = `
      const names = ${JSON.stringify(SUBPATHS)};
      const out = {};
      for (const n of names) out[n] = Object.keys(await import(n)).sort();
      console.log(JSON.stringify(out));`;
    const exported = JSON.parse(runNode(['--input-type=module', '-e', script])) as Record<string, string[]>;
    expect(exported['tickwork']).toEqual(
      expect.arrayContaining(['createScheduler', 'TickworkError', 'PermanentDeliveryError']),
    );
    expect(exported['tickwork/sqlite']).toContain('sqliteStore');
    expect(exported['tickwork/postgres']).toContain('postgresStore');
    expect(exported['tickwork/testing']).toEqual(expect.arrayContaining(['CapturingTransport', 'FakeClock']));
  });

  it('every subpath loads through require() and shares one core with import', () => {
    const script = `
      const core = require('tickwork');
      const testing = require('tickwork/testing');
      for (const n of ${JSON.stringify(SUBPATHS)}) require(n);
      const t = new testing.CapturingTransport().failPermanentlyForEmail('a@x.org');
      t.send({ to: 'a@x.org' }, { idempotencyKey: 'k', attempt: 1, signal: new AbortController().signal })
        .catch(async (e) => {
          const esm = await import('tickwork');
          console.log(JSON.stringify({
            requireInstance: e instanceof core.PermanentDeliveryError,
            importInstance: e instanceof esm.PermanentDeliveryError,
            sameClass: esm.TickworkError === core.TickworkError,
          }));
        });`;
    const result = JSON.parse(runNode(['-e', script])) as Record<string, boolean>;
    expect(result).toEqual({ requireInstance: true, importInstance: true, sameClass: true });
  });
});
