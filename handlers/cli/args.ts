/**
 * @module handlers/cli/args
 * node:util parseArgs with errors that name the bad flag. Anything wrong with the command line
 * is a UsageError, which main.ts turns into exit code 2 (runtime failures exit 1).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { expectInteger, expectNumber } from '../../core/validate/index.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

export function parseCommand(argv: readonly string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    // Node's messages already name the flag: "Unknown option '--foo'", "Option '--port <value>' argument missing".
    throw new UsageError((err as Error).message);
  }
}

function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** "abc" stays "abc" (not NaN) so the error shows what was typed. */
function toNumber(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return raw;
  const n = Number(raw);
  return Number.isNaN(n) ? raw : n;
}

/** A numeric flag: absent -> fallback; present -> a finite number in range, or a UsageError naming it. */
export function numberFlag(values: ParsedArgs['values'], name: string, min: number, max: number, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = toNumber(raw);
  return asUsage(() => expectNumber(`--${name}`, n, min, max));
}

export function integerFlag(values: ParsedArgs['values'], name: string, min: number, max: number, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = toNumber(raw);
  return asUsage(() => expectInteger(`--${name}`, n, min, max));
}

export function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function requiredFlag(values: ParsedArgs['values'], name: string): string {
  const v = stringFlag(values, name);
  if (v === undefined || v === '') throw new UsageError(`missing required option --${name}`);
  return v;
}
