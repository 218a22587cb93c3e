/**
 * @module test/helpers/ceph/process
 * Child-process plumbing for the test cluster: one-shot tools with a time limit, long-running
 * daemons whose output goes to a log file, ordered stops with a SIGKILL fallback, free ports.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Last `lines` lines of a log file, or a note that it is missing. */
export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

/** Runs a tool to completion; the error carries its output (the tools log to stderr). */
export function runTool(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`.trimEnd()));
      else resolve(stdout);
    });
  });
}

/** Starts a daemon in the foreground (so we own its pid) with stdout/stderr appended to `logFile`. */
export function startDaemon(cmd: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    child.on('error', () => {}); // spawn failures show up as an exit code; the caller reads the log
    return child;
  } finally {
    closeSync(fd);
  }
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait for the exit. Resolves true on a clean stop. */
export async function stopDaemon(child: ChildProcess, graceMs: number): Promise<boolean> {
  if (!isRunning(child)) return true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const clean = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (clean) return true;
  child.kill('SIGKILL');
  await exited;
  return false;
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
