/*
 * Batch fan-out: createTimezoneBatches for N recipients across every IANA zone, fed as an
 * async generator, then enqueueing them (processScheduledBatches with `now` after every
 * batch's instant, so nothing is sent). Runs in a child process per backend so that its
 * peak RSS (getrusage's maxrss) is the fan-out's own, not the runner's. The child is the
 * current source bundled by esbuild and run by plain `node` (packages stay external), so its
 * RSS is what a host would see, without tsx's loader and compiler in the process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { verdict } from './delivery.js';
import { benchDatabase, migratedScheduler, type BenchBackend, type BenchRow } from './support.js';

export interface FanOutResult {
  recipients: number;
  batches: number;
  zones: number;
  fallbacks: number;
  createSeconds: number;
  enqueued: number;
  enqueueSeconds: number;
  /** RSS before the fan-out, MiB (Node, the drivers and the library loaded, connected). */
  baselineRssMiB: number;
  /** Peak RSS of the process after creating / after enqueueing, MiB (getrusage maxrss). */
  peakRssCreateMiB: number;
  peakRssTotalMiB: number;
  /** Peak heap in use, sampled, MiB. */
  peakHeapMiB: number;
}

const CHILD_SOURCE = fileURLToPath(new URL('./batches-child.ts', import.meta.url));
/** Inside node_modules, so the bundle's external imports resolve to the project's packages. */
const CHILD_DIR = fileURLToPath(new URL('../node_modules/.cache/tickwork-bench/', import.meta.url));
const CHILD = `${CHILD_DIR}batches-child.mjs`;

async function bundleChild(): Promise<void> {
  mkdirSync(CHILD_DIR, { recursive: true });
  await build({
    entryPoints: [CHILD_SOURCE],
    outfile: CHILD,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

function runChild(args: Record<string, unknown>): Promise<FanOutResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`batches child exited with ${code}: ${out}`));
      try {
        resolve(JSON.parse(line) as FanOutResult);
      } catch (error) {
        reject(new Error(`batches child printed no result: ${out}`, { cause: error }));
      }
    });
  });
}

/**
 * `enqueueLimits`: per backend, enqueue only this many of the recipients (where enqueueing
 * all of them would take minutes); the rate is measured on that part and the row says so.
 */
export async function benchBatches(
  backends: BenchBackend[],
  size = 1_000_000,
  enqueueLimits: Partial<Record<BenchBackend, number>> = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  await bundleChild();
  for (const backend of backends) {
    const db = await benchDatabase(backend);
    try {
      const setup = await migratedScheduler(db);
      await setup.close();
      const limit = enqueueLimits[backend];
      const result = await runChild({ backend, path: db.path, schema: db.schema, size, enqueueLimit: limit });
      const expected = limit === undefined ? size : Math.min(size, limit);
      if (result.recipients !== size || result.enqueued < expected) {
        throw new Error(
          `batches bench: ${result.recipients} created, ${result.enqueued} enqueued of ${size}`,
        );
      }
      const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${Math.round(n / 1000)}k`);
      const sizeLabel = label(size);
      const enqueueLabel = result.enqueued === size ? sizeLabel : `${label(result.enqueued)} of ${sizeLabel}`;
      rows.push({
        bench: 'batch fan-out',
        backend,
        metric: `create ${sizeLabel} recipients`,
        value: size / result.createSeconds,
        unit: 'recipients/s',
        note: `${result.createSeconds.toFixed(1)} s; ${result.batches} batches over ${result.zones} zones (${result.fallbacks} fell back)`,
      });
      rows.push({
        bench: 'batch fan-out',
        backend,
        metric: `enqueue ${enqueueLabel} recipients`,
        value: result.enqueued / result.enqueueSeconds,
        unit: 'rows/s',
        note:
          `${result.enqueueSeconds.toFixed(1)} s via processScheduledBatches (default options)` +
          (result.enqueued === size
            ? ''
            : `; all ${sizeLabel} would take ≈ ${Math.round((size / result.enqueued) * result.enqueueSeconds)} s (extrapolated)`),
      });
      rows.push({
        bench: 'batch fan-out',
        backend,
        metric: `peak RSS, ${sizeLabel} recipients`,
        value: result.peakRssTotalMiB,
        unit: 'MiB',
        note:
          `${verdict(result.peakRssTotalMiB < 300)} target < 300; baseline ${result.baselineRssMiB}, ` +
          `after create ${result.peakRssCreateMiB}, peak heap ${result.peakHeapMiB}`,
      });
    } finally {
      await db.destroy();
    }
  }
  return rows;
}
