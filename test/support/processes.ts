import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TICK_WORKER = fileURLToPath(new URL('./tick-worker.ts', import.meta.url));

export interface WorkerRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  logPath: string;
}

export type OnWorkerStart = (child: ChildProcess, logPath: string) => void;

/**
 * Runs the worker script `script` (TypeScript, through tsx) with `config` and a fresh log file;
 * resolves when it exits. `onStart` gets the child, e.g. to kill it.
 */
export function spawnWorker(
  script: string,
  config: Record<string, unknown>,
  onStart?: OnWorkerStart,
): Promise<WorkerRun> {
  const logPath = join(mkdtempSync(join(tmpdir(), 'tickwork-worker-')), 'calls.log');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ ...config, logPath })], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onStart?.(child, logPath);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => resolve({ exitCode, signal, stderr, logPath }));
  });
}

/** Starts a tick worker process (test/support/tick-worker.ts); resolves when it exits. */
export function runWorker(config: Record<string, unknown>, onStart?: OnWorkerStart): Promise<WorkerRun> {
  return spawnWorker(TICK_WORKER, config, onStart);
}

/** Every transport call a worker logged: pid, key, attempt. */
export function readCalls(run: WorkerRun): Array<{ pid: number; key: string; attempt: number }> {
  if (!existsSync(run.logPath)) return [];
  return readFileSync(run.logPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, key, attempt] = line.split(' ');
      return { pid: Number(pid), key: key!, attempt: Number(attempt) };
    });
}

/**
 * Runs `count` workers (tick workers unless `run` says otherwise) that start at the same moment,
 * after all have booted: each waits at a barrier file (see waitAtBarrier) until all are ready.
 */
export async function runWorkersTogether(
  count: number,
  config: Record<string, unknown>,
  run: (config: Record<string, unknown>) => Promise<WorkerRun> = runWorker,
): Promise<WorkerRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwork-barrier-'));
  const barrier = join(dir, 'go');
  const runs = Array.from({ length: count }, () => run({ ...config, barrier }));
  const deadline = Date.now() + 30_000;
  while (readdirSync(dir).filter((f) => f.endsWith('.ready')).length < count) {
    if (Date.now() > deadline) throw new Error('workers did not start within 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  writeFileSync(barrier, '');
  return Promise.all(runs);
}
