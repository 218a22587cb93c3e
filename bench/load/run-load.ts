/**
 * @module bench/load/run-load
 * Runs http-load-child.mjs (autocannon) in a child process and returns what it measured.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'http-load-child.mjs');

export interface LoadConfig {
  readonly url: string;
  readonly connections: number;
  readonly amount?: number;
  readonly duration?: number;
  /** Overall requests per second cap. */
  readonly rate?: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly bodyFile?: string;
  /** Several bodies, sent in turn by each connection (e.g. a folder of images). */
  readonly bodyFiles?: readonly string[];
  readonly delayMs?: number;
}

export interface LoadResult {
  readonly latencies: number[];
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
}

export function runLoad(cfg: LoadConfig): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`load child exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out) as LoadResult);
    });
  });
}

/** Throws when any request of the run failed (non-2xx, socket error or timeout). */
export function expectAllOk(r: LoadResult, what: string): void {
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
}
