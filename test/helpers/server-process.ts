/**
 * A bundle in dist/ as a real child process (needs `npm run build`): its JSON log lines from
 * stdout as they come, a way to wait for a line, its exit code and stderr. `startServerProcess`
 * runs `dist/server.js` and waits until it listens. For fault tests that send signals or watch a
 * process exit; `stop()` kills it (SIGKILL) if a test left it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './shared-data.js';

export type LogLine = Record<string, unknown> & { msg?: string; reqId?: string; level?: number };

export interface DistProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Resolves with the first log line (already seen or still to come) that matches; rejects if the process ends first. */
  waitForLine(match: (l: LogLine) => boolean): Promise<LogLine>;
  /** Settles once the process has exited and its output is read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  stop(): void;
}

export interface ServerProcess extends DistProcess {
  readonly port: number;
}

/**
 * `launcher`: a command the node process is started through, which must end by exec'ing its
 * arguments (e.g. `sh -c 'echo $$ > cgroup/tasks && exec "$0" "$@"'`).
 */
export function spawnDist(script: string, args: readonly string[], env: Record<string, string>, launcher: readonly string[] = []): DistProcess {
  const argv = [process.execPath, path.join(repoRoot, 'dist', script), ...args];
  const child = spawn(launcher[0] ?? argv[0]!, [...launcher.slice(1), ...(launcher.length > 0 ? argv : argv.slice(1))], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: (() => void)[] = [];
  let rest = '', stderr = '', done = false;
  child.stdout!.on('data', (d) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as LogLine);
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => {
    done = true;
    resolve({ code, signal, stderr });
    waiters.splice(0).forEach((w) => w());
  }));
  const waitForLine = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const hit = lines.find(match);
        if (hit) resolve(hit);
        else if (done) reject(new Error(`${script} exited (${child.exitCode}) before the line; stderr: ${stderr}`));
        else waiters.push(check);
      };
      check();
    });
  return { child, lines, waitForLine, exited, stop: () => void (child.exitCode === null && child.kill('SIGKILL')) };
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const p = spawnDist('server.js', [], env);
  const listening = await p.waitForLine((l) => l.msg === 'listening');
  return { ...p, port: listening.port as number };
}
