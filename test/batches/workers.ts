import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runWorkersTogether, spawnWorker, type OnWorkerStart, type WorkerRun } from '../support/processes.js';

const BATCH_WORKER = fileURLToPath(new URL('./batch-worker.ts', import.meta.url));

export type BatchWorkerRun = WorkerRun;

/** Starts a batch worker (./batch-worker.ts); resolves when it exits. */
export function runBatchWorker(
  config: Record<string, unknown>,
  onStart?: OnWorkerStart,
): Promise<BatchWorkerRun> {
  return spawnWorker(BATCH_WORKER, { pauseMs: 0, ...config }, onStart);
}

export function readLog(logPath: string): { sends: Array<{ pid: number; key: string }>; phases: number[] } {
  if (!existsSync(logPath)) return { sends: [], phases: [] };
  const sends: Array<{ pid: number; key: string }> = [];
  const phases: number[] = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    const [kind, pid, value] = line.split(' ');
    if (kind === 'send') sends.push({ pid: Number(pid), key: value! });
    if (kind === 'phase') phases.push(Number(value));
  }
  return { sends, phases };
}

/** Runs `count` batch workers that start at the same moment (after all have booted). */
export function runBatchWorkersTogether(
  count: number,
  config: Record<string, unknown>,
): Promise<BatchWorkerRun[]> {
  return runWorkersTogether(count, config, runBatchWorker);
}
