import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor } from './script-runner.js';

const SCRIPT = fileURLToPath(new URL('../lock-holder.ts', import.meta.url));

/** A child process that takes and releases SQLite's write lock on command (see ../lock-holder.ts). */
export class LockHolder {
  private readonly child: ChildProcess;
  private buffer = '';
  private waiting: Array<{ line: string; resolve: () => void; reject: (e: Error) => void }> = [];
  private stderr = '';

  private constructor(nodeArgs: string[], path: string) {
    this.child = spawn(process.execPath, [...nodeArgs, path], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        const next = this.waiting.shift();
        if (!next) continue;
        if (line === next.line) next.resolve();
        else next.reject(new Error(`lock holder answered '${line}', expected '${next.line}'`));
      }
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0))
        w.reject(new Error(`lock holder exited (${code}): ${this.stderr}`));
    });
  }

  static async start(path: string): Promise<LockHolder> {
    const holder = new LockHolder(await nodeArgsFor(SCRIPT), path);
    await holder.expect('ready', 60_000);
    return holder;
  }

  private expect(line: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`lock holder did not answer '${line}' in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push({
        line,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  async lock(): Promise<void> {
    const answered = this.expect('locked');
    this.child.stdin!.write('lock\n');
    await answered;
  }

  async unlock(): Promise<void> {
    const answered = this.expect('unlocked');
    this.child.stdin!.write('unlock\n');
    await answered;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }
}
