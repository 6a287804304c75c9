/*
 * How the harnesses start their child processes (workers, lock holder, hosts). Booting a
 * TypeScript entry through tsx costs about 2 CPU-seconds per process (its loader hooks see
 * every module); the crash harness alone starts a few dozen processes. So each entry is
 * bundled once per test file with esbuild (already installed: tsup, tsx and vite use it) into
 * one ESM file in the OS temp dir, from the current sources, which boots in about half a
 * second. The file is named by its content, so unchanged sources reuse it. If esbuild cannot
 * be loaded, or TICKWORK_RELIABILITY_TSX is set, the entry runs through tsx as test/support does.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const require = createRequire(import.meta.url);
const bundles = new Map<string, Promise<string[]>>();

/** The node arguments that run `entry` (an absolute path to a .ts file), before its own arguments. */
export function nodeArgsFor(entry: string): Promise<string[]> {
  if (process.env.TICKWORK_RELIABILITY_TSX) return Promise.resolve(['--import', 'tsx', entry]);
  let args = bundles.get(entry);
  if (!args) {
    args = bundle(entry).catch((error: unknown) => {
      console.warn(
        `[reliability] running ${basename(entry)} through tsx: could not bundle it (${String(error)})`,
      );
      return ['--import', 'tsx', entry];
    });
    bundles.set(entry, args);
  }
  return args;
}

async function bundle(entry: string): Promise<string[]> {
  const { build } = await import('esbuild');
  const nativeModule = require.resolve('better-sqlite3');
  const result = await build({
    entryPoints: [entry],
    outfile: `${basename(entry, '.ts')}.mjs`,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // pg requires node built-ins (and, lazily, its optional native binding) with require().
    banner: {
      js: "import { createRequire as __tickworkCreateRequire } from 'node:module'; const require = __tickworkCreateRequire(import.meta.url);",
    },
    external: ['pg-native'],
    plugins: [
      {
        // The SQLite driver loads a native addon relative to its own package: import it in place.
        name: 'native-sqlite-in-place',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: nativeModule, external: true }));
        },
      },
    ],
  });
  // Named by content: the same sources give the same file, which later runs reuse.
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const path = join(tmpdir(), `tickwork-bundle-${basename(entry, '.ts')}-${hash}.mjs`);
  if (!existsSync(path)) {
    writeFileSync(`${path}.${process.pid}.tmp`, code);
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
  return [path];
}
