/*
 * A fleet of ticking worker processes (../worker.ts) on one database: start them, release
 * them together with a shared simulated clock, kill -9 and restart them, stop them, and read
 * what they logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from '../worker.js';
import type { CallLine } from './recording-transport.js';
import { nodeArgsFor } from './script-runner.js';
import type { SimClockSpec } from './sim-clock.js';

const WORKER = fileURLToPath(new URL('../worker.ts', import.meta.url));

export type FleetConfig = Omit<WorkerConfig, 'dir' | 'slot'>;

interface Running {
  slot: number;
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export interface Exit {
  slot: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  killed: boolean;
}

export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'tickwork-reliability-'));
  private readonly running = new Map<number, Running>();
  private readonly exits: Promise<Exit>[] = [];
  /** Pids this fleet killed with SIGKILL. */
  readonly killed = new Set<number>();
  private clock: SimClockSpec | undefined;

  constructor(private readonly config: FleetConfig) {}

  private nodeArgs: string[] | undefined;

  /** Prepares the worker entry (see script-runner.ts); call once before `start`. */
  async prepare(): Promise<this> {
    this.nodeArgs = await nodeArgsFor(WORKER);
    return this;
  }

  /** Starts one worker in `slot` (a restart if the slot's previous worker was killed). */
  start(slot: number): number {
    if (!this.nodeArgs) throw new Error('call prepare() before start()');
    if (this.running.has(slot)) throw new Error(`slot ${slot} is already running`);
    const workerConfig: WorkerConfig = { ...this.config, dir: this.dir, slot };
    const child = spawn(process.execPath, [...this.nodeArgs, JSON.stringify(workerConfig)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (child.pid === undefined) throw new Error('could not spawn a worker process');
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    const pid = child.pid;
    const entry: Running = { slot, child, pid, exited, stderr: () => stderr };
    this.running.set(slot, entry);
    this.exits.push(
      exited.then(({ code, signal }) => {
        if (this.running.get(slot) === entry) this.running.delete(slot);
        return { slot, pid, code, signal, stderr, killed: this.killed.has(pid) };
      }),
    );
    return pid;
  }

  /** Waits until `count` workers have booted (written their ready file). */
  async waitReady(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (readdirSync(this.dir).filter((f) => f.startsWith('ready.')).length < count) {
      if (Date.now() > deadline) throw new Error(`${count} workers did not boot within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /** Releases the workers: simulated time `startMs` begins now and runs at `speed`. */
  go(startMs: number, speed: number): SimClockSpec {
    this.clock = { startMs, wallStartMs: Date.now(), speed };
    const path = join(this.dir, 'go.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(this.clock));
    renameSync(`${path}.tmp`, path);
    return this.clock;
  }

  /** Pid of the worker in `slot`, if one is running. */
  pidOf(slot: number): number | undefined {
    return this.running.get(slot)?.pid;
  }

  /** How many transport calls the worker in `slot` has started and not finished (from its log). */
  inFlight(slot: number): number {
    const pid = this.pidOf(slot);
    if (pid === undefined) return 0;
    const path = join(this.dir, `calls.${slot}.${pid}.log`);
    if (!existsSync(path)) return 0;
    let open = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.startsWith('{"t":"B"')) open += 1;
      else if (line.startsWith('{"t":"E"')) open -= 1;
    }
    return open;
  }

  /** kill -9 the worker in `slot` and wait until it is gone. */
  async kill(slot: number): Promise<number> {
    const entry = this.running.get(slot);
    if (!entry) throw new Error(`slot ${slot} has no running worker`);
    this.killed.add(entry.pid);
    entry.child.kill('SIGKILL');
    await entry.exited;
    return entry.pid;
  }

  /** Writes the stop file and waits for every worker to exit (killing stragglers after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<Exit[]> {
    writeFileSync(join(this.dir, 'stop'), '');
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all(this.exits);
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
    );
    const result = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      for (const entry of this.running.values()) entry.child.kill('SIGKILL');
      await all;
      throw new Error(`workers did not stop within ${timeoutMs} ms after the stop file was written`);
    }
    return result;
  }

  /** Every transport call line every worker logged, in no particular order. */
  calls(): CallLine[] {
    return readJsonLines<CallLine>(this.dir, 'calls.');
  }

  /** Removes the fleet's files (logs included); call once the test has passed, keep them otherwise. */
  removeFiles(): void {
    if (this.running.size > 0) throw new Error('stop the fleet first');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every tick error every worker logged. */
  tickErrors(): Array<{ pid: number; message: string }> {
    return readJsonLines(this.dir, 'errors.');
  }
}

function readJsonLines<T>(dir: string, prefix: string): T[] {
  const out: T[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(prefix)) continue;
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // A line torn by kill -9 in the middle of a write: cannot happen for a single small
        // O_APPEND write to a regular file, but a torn line would only ever be the last one.
        throw new Error(`unreadable log line in ${file}: ${line}`);
      }
    }
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
