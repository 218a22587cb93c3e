/**
 * @module test/e2e/emulation/docker
 * The Docker daemon and CLI for the emulation. A daemon that already answers is used as is;
 * otherwise dockerd is started here and stopped at the end with SIGTERM to its PID (never by
 * name: other people's daemons are not ours). The CLI runner keeps stderr for error messages.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** Runs `docker ARGS`; resolves stdout, rejects with stderr in the message. */
export function docker(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args.join(' ')} failed: ${err.message.split('\n')[0]}\n${stderr}`.trimEnd()));
      else resolve(stdout.trim());
    });
  });
}

export interface DockerDaemon {
  /** True when this process started dockerd (and will stop it). */
  readonly startedHere: boolean;
  readonly pid?: number;
  /** Milliseconds until `docker info` answered (0 when one was already running). */
  readonly startMs: number;
  /** SIGTERM to the dockerd we started, SIGKILL after `graceMs`; a no-op otherwise. */
  stop(graceMs?: number): Promise<void>;
}

const answers = () => docker(['info', '--format', '{{.ServerVersion}}'], 10_000).then(() => true, () => false);

export async function ensureDockerDaemon(logFile: string, timeoutMs = 60_000): Promise<DockerDaemon> {
  if (await answers()) return { startedHere: false, startMs: 0, stop: async () => {} };
  const t0 = performance.now();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('dockerd', [], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.on('error', () => {}); // a missing binary shows up as an exit below
  const killOnExit = () => child.exitCode === null && child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async (graceMs = 30_000) => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await answers())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(5_000);
      throw new Error(`dockerd did not come up (exit ${child.exitCode}); see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { startedHere: true, pid: child.pid, startMs: performance.now() - t0, stop };
}
