/**
 * At most N notebook servers running at once (`--max-running`): 200 real Jupyter servers on
 * a 2-core machine would measure the machine, not the hub. People wait their turn, first come
 * first served; `close()` sends everyone still waiting away (the soak is over).
 */
export class Slots {
  readonly #max: number;
  #used = 0;
  #closed = false;
  readonly #waiting: ((granted: boolean) => void)[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves true with a slot, or false when closed first. */
  acquire(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#used < this.#max) {
      this.#used++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#closed ? undefined : this.#waiting.shift();
    if (next) next(true);
    else this.#used--;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w(false);
  }
}
