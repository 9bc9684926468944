/**
 * The progress events of one start, kept so that a page opened halfway through (or reloaded)
 * sees the whole story: `follow()` replays from the first event, then waits for new ones, and
 * ends after the terminal one (`ready` or `failed`). See the `progress` rule in ../types.ts.
 */
import type { ProgressEvent } from '../types.ts';

export class ProgressLog {
  readonly #events: ProgressEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #done = false;

  get done(): boolean {
    return this.#done;
  }

  get events(): readonly ProgressEvent[] {
    return this.#events;
  }

  /** Appends an event; events after the terminal one are ignored (the story has ended). */
  push(event: ProgressEvent): void {
    if (this.#done) return;
    this.#events.push(event);
    if (event.ready === true || event.failed === true) this.#done = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** The terminal event, once there is one. */
  terminal(): ProgressEvent | undefined {
    return this.#done ? this.#events[this.#events.length - 1] : undefined;
  }

  async *follow(): AsyncGenerator<ProgressEvent, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.#events.length) {
        const event = this.#events[next++];
        if (event !== undefined) yield event;
      }
      if (this.#done) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }
}
