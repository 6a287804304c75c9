import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./batch-worker.ts', import.meta.url));

export interface BatchWorkerRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  logPath: string;
}

/** Starts a batch worker; resolves when it exits. `onStart` gets the child (to kill it). */
export function runBatchWorker(
  config: Record<string, unknown>,
  onStart?: (child: ChildProcess, logPath: string) => void,
): Promise<BatchWorkerRun> {
  const logPath = join(mkdtempSync(join(tmpdir(), 'tickwork-batch-worker-')), 'log');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, JSON.stringify({ pauseMs: 0, ...config, logPath })],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onStart?.(child, logPath);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => resolve({ exitCode, signal, stderr, logPath }));
  });
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

/** Runs `count` workers that start at the same moment (after all have booted). */
export async function runBatchWorkersTogether(
  count: number,
  config: Record<string, unknown>,
): Promise<BatchWorkerRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwork-batch-barrier-'));
  const barrier = join(dir, 'go');
  const runs = Array.from({ length: count }, () => runBatchWorker({ ...config, barrier }));
  const deadline = Date.now() + 30_000;
  while (readdirSync(dir).filter((f) => f.endsWith('.ready')).length < count) {
    if (Date.now() > deadline) throw new Error('workers did not start within 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  writeFileSync(barrier, '');
  return Promise.all(runs);
}
