/**
 * An in-process lock per key (a user id) (the SQLite store's `withUserLock`: one hub process owns a SQLite
 * file). A chain of promises per key, dropped when the last holder leaves; by hand because it
 * is these few lines and no dependency the project has does keyed locking.
 */
export function keyedLock(): <T>(key: number, fn: () => Promise<T>) => Promise<T> {
  const tails = new Map<number, Promise<void>>();
  return async (key, fn) => {
    const before = tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
