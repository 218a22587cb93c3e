/**
 * @module infra/clock/settled-within
 * A bounded wait for shutdown paths: close() must finish even when what it waits for never does
 * (a worker thread stuck in native code, a batch whose engine is gone).
 */

/** Resolves true once `p` settles (either way), or false after `ms`; never rejects. */
export function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = p.then(() => true, () => true);
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
