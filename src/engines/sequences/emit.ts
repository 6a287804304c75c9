import type { SequenceEvents } from './events.js';

/** Emits one of the engine's events (bound to the scheduler's emitter). */
export type Emit = <K extends keyof SequenceEvents>(type: K, event: SequenceEvents[K]) => void;

/** Events collected inside a transaction, fired once it has committed. */
export class PendingEvents {
  private readonly queue: Array<() => void> = [];

  constructor(private readonly emit: Emit) {}

  add<K extends keyof SequenceEvents>(type: K, event: SequenceEvents[K]): void {
    this.queue.push(() => this.emit(type, event));
  }

  fire(): void {
    for (const fire of this.queue.splice(0)) fire();
  }

  drain(): Array<() => void> {
    return this.queue.splice(0);
  }
}
