import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What `npm publish` would ship, installed into a scratch project outside the repo and used
// from there with `import` and with `require`, as a host would. (`npm test` builds first.)
// The tarball is unpacked into the scratch project's node_modules and its dependencies and
// peers are linked from this repo's node_modules: the same files a registry install would
// give, without the network.
const root = fileURLToPath(new URL('../..', import.meta.url));
const SUBPATHS = ['.', './sqlite', './postgres', './express', './fastify', './testing'];
const specifier = (subpath: string) => (subpath === '.' ? 'tickwork' : `tickwork/${subpath.slice(2)}`);

let work: string;
let scratch: string;
let packedFiles: string[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tickwork-packed-'));
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = pack!.files.map((f) => f.path).sort();

  scratch = join(work, 'host-app');
  const installed = join(scratch, 'node_modules', 'tickwork');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, pack!.filename), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const link = join(scratch, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), link, 'dir');
  }
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'host-app', private: true, type: 'module' }, null, 2),
  );
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(file: string, source: string): Record<string, unknown> {
  writeFileSync(join(scratch, file), source);
  const output = execFileSync(process.execPath, [file], {
    cwd: scratch,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** The same check in both module systems: every subpath loads, and a scheduler sends. */
const check = (load: string) => `
  const specifiers = ${JSON.stringify(SUBPATHS.map(specifier))};
  const modules = {};
  for (const s of specifiers) modules[s] = ${load};
  const { createScheduler, PermanentDeliveryError } = modules['tickwork'];
  const { sqliteStore } = modules['tickwork/sqlite'];
  const { CapturingTransport } = modules['tickwork/testing'];
  const transport = new CapturingTransport().failPermanentlyForEmail('bounce@example.org');
  const now = new Date('2026-03-02T08:00:00Z');
  const scheduler = createScheduler({ store: sqliteStore(':memory:'), transport, options: { clock: () => now } });
  await scheduler.migrate();
  const sequence = await scheduler.sequences.create({ name: 'Onboarding', steps: [{ subject: 'Welcome' }] });
  await scheduler.sequences.enrollRecipient(sequence.id, 'ada@example.org');
  await scheduler.sequences.enrollRecipient(sequence.id, 'bounce@example.org');
  const summary = await scheduler.tick(now);
  const thrown = await transport.send({ to: 'bounce@example.org' }, { idempotencyKey: 'k', attempt: 1, signal: new AbortController().signal }).catch((e) => e);
  await scheduler.close();
  console.log(JSON.stringify({
    exports: Object.fromEntries(Object.entries(modules).map(([s, m]) => [s, Object.keys(m).sort()])),
    sent: summary.delivery.sent,
    dead: summary.delivery.dead,
    sharedCore: thrown instanceof PermanentDeliveryError,
  }));
`;

describe('the packed tarball', () => {
  it('holds only the build, README, LICENSE, CHANGELOG and package.json', () => {
    const outside = packedFiles.filter(
      (path) =>
        !path.startsWith('dist/') && !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(path),
    );
    expect(outside).toEqual([]);
    for (const required of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) {
      expect(packedFiles).toContain(required);
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
    };
    for (const subpath of SUBPATHS) {
      const target = manifest.exports[subpath] as { types: string; default: string };
      expect(packedFiles).toContain(target.default.slice(2));
      expect(packedFiles).toContain(target.types.slice(2));
    }
  });

  it('loads every subpath with import and works from an ESM host', { timeout: 60_000 }, () => {
    const result = run('esm-host.mjs', check('await import(s)'));
    expectWorking(result);
  });

  it('loads every subpath with require and works from a CommonJS host', { timeout: 60_000 }, () => {
    const result = run('cjs-host.cjs', `(async () => {${check('require(s)')}})();`);
    expectWorking(result);
  });
});

function expectWorking(result: Record<string, unknown>): void {
  const exports = result.exports as Record<string, string[]>;
  expect(Object.keys(exports)).toEqual(SUBPATHS.map(specifier));
  expect(exports['tickwork']).toEqual(
    expect.arrayContaining(['createScheduler', 'calculateNextRun', 'getUtcTimeForLocal', 'TickworkError']),
  );
  expect(exports['tickwork/sqlite']).toContain('sqliteStore');
  expect(exports['tickwork/postgres']).toContain('postgresStore');
  expect(exports['tickwork/express']).toContain('tickworkRouter');
  expect(exports['tickwork/fastify']).toContain('tickworkPlugin');
  expect(exports['tickwork/testing']).toEqual(
    expect.arrayContaining(['CapturingTransport', 'FakeClock', 'runUntil']),
  );
  expect(result).toMatchObject({ sent: 1, dead: 1, sharedCore: true });
}
