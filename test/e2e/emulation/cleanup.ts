/**
 * @module test/e2e/emulation/cleanup
 * A stack of undo steps. Every resource the emulation creates registers its removal the
 * moment it exists; `run()` undoes them in reverse order, keeps going past failures and
 * returns what failed, so a broken step never leaves containers, networks or daemons behind.
 */

export interface Cleanup {
  add(name: string, undo: () => unknown): void;
  /** Runs every undo step once, newest first; resolves the failures as "name: message". */
  run(): Promise<string[]>;
}

export function createCleanup(): Cleanup {
  const steps: { name: string; undo: () => unknown }[] = [];
  return {
    add: (name, undo) => void steps.push({ name, undo }),
    async run() {
      const failures: string[] = [];
      for (let s = steps.pop(); s !== undefined; s = steps.pop()) {
        try {
          await s.undo();
        } catch (err) {
          failures.push(`${s.name}: ${(err as Error).message}`);
        }
      }
      return failures;
    },
  };
}
