/**
 * @module infra/events/key-lock
 * One record per output key at a time in this process: two events for the same key (a
 * redelivery racing the original, two versions of one object) would otherwise both pass the
 * "is a newer result stored?" HEAD and the older could write last. Other keys never wait.
 * Across processes the window stays (radosgw 16 has no conditional PUT to close it).
 */
export interface KeyLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(key, fn) {
      const before = tails.get(key) ?? Promise.resolve();
      const mine = before.then(() => fn());
      const tail = mine.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await mine;
      } finally {
        // The last holder removes the entry, so the map holds only keys in flight.
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
