/**
 * The one rule both backends keep for a start already under way (../types.ts: "while a start is
 * in flight, `start` joins it"): one start per server at a time in this process, its progress
 * kept for anyone who follows it, cancellable by a stop or by the hub closing. Kept per server
 * by each backend; across hub replicas the cluster itself (one resource per server, applied
 * idempotently) or the single local hub makes starts join.
 */
import { ProgressLog } from './local/progress-log.ts';
import type { ServerStatus } from './types.ts';

/** Why a start in flight was cut short. */
export type CancelReason = 'stopped' | 'closed';

export class StartInFlight {
  #promise: Promise<ServerStatus> | undefined;
  #abort: AbortController | undefined;
  /** The events of the current (or last) start, replayed to whoever follows it. */
  progress: ProgressLog | undefined;

  /** The start under way, if any. */
  get current(): Promise<ServerStatus> | undefined {
    return this.#promise;
  }

  /**
   * Runs `run` as this server's start, or joins the one under way. Synchronous up to `run`'s
   * first await, so two callers in the same tick cannot both begin.
   */
  begin(
    run: (signal: AbortSignal, progress: ProgressLog) => Promise<ServerStatus>,
  ): Promise<ServerStatus> {
    if (this.#promise) return this.#promise;
    const abort = new AbortController();
    const progress = new ProgressLog();
    this.#abort = abort;
    this.progress = progress;
    const promise = run(abort.signal, progress).finally(() => {
      if (this.#promise === promise) {
        this.#promise = undefined;
        this.#abort = undefined;
      }
    });
    this.#promise = promise;
    return promise;
  }

  /** Cuts the start under way short and waits until it has settled (never rejects). */
  async cancel(reason: CancelReason): Promise<void> {
    const promise = this.#promise;
    if (!promise) return;
    this.#abort?.abort(reason);
    await promise.catch(() => undefined);
  }
}
