import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The README's quickstart is examples/quickstart.ts, word for word, and it runs as written:
// through the package's own name (the build), in a fresh directory, on a fresh SQLite file.
const root = fileURLToPath(new URL('../..', import.meta.url));
const quickstart = join(root, 'examples/quickstart.ts');
const dir = mkdtempSync(join(tmpdir(), 'tickwork-quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** tsx's loader as a file URL, so `--import` finds it from a directory outside the repo. */
function tsxLoader(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> })
    .exports['.'];
  return pathToFileURL(join(dirname(manifest), exports as string)).href;
}

/** The first ```ts block under the README's `## Quickstart` heading. */
function readmeQuickstart(): string | undefined {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quickstart'));
  return section?.match(/```ts\n([\s\S]*?)```/)?.[1];
}

describe('quickstart', () => {
  it('is in the README as written in examples/quickstart.ts', () => {
    expect(readmeQuickstart(), "README's Quickstart block must equal examples/quickstart.ts").toBe(
      readFileSync(quickstart, 'utf8'),
    );
  });

  it('runs as written', { timeout: 120_000 }, () => {
    const output = execFileSync(process.execPath, ['--import', tsxLoader(), quickstart], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(output).toMatch(/^to grace@example\.org: Welcome! \[\S+\]$/m);
    expect(output).toMatch(/^sent 1$/m);
    expect(existsSync(join(dir, 'quickstart.db'))).toBe(true);
  });
});
