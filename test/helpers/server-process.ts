/**
 * `node dist/server.js` as a real child process (needs `npm run build`): its JSON log lines
 * from stdout, the port it listens on, a way to wait for a line, its exit code. For fault
 * tests that send signals; `stop()` kills it (SIGKILL) if a test left it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './shared-data.js';

export type LogLine = Record<string, unknown> & { msg?: string; reqId?: string };

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly lines: LogLine[];
  /** Resolves with the first log line (already seen or still to come) that matches. */
  waitForLine(match: (l: LogLine) => boolean): Promise<LogLine>;
  readonly exited: Promise<number | null>;
  stop(): void;
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/server.js')], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: (() => void)[] = [];
  let rest = '', stderr = '';
  child.stdout!.on('data', (d) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as LogLine);
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    resolve(code);
    waiters.splice(0).forEach((w) => w());
  }));
  const waitForLine = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const hit = lines.find(match);
        if (hit) resolve(hit);
        else if (child.exitCode !== null) reject(new Error(`server exited (${child.exitCode}) before the line; stderr: ${stderr}`));
        else waiters.push(check);
      };
      check();
    });
  const listening = await waitForLine((l) => l.msg === 'listening');
  return { child, port: listening.port as number, lines, waitForLine, exited, stop: () => child.exitCode === null && child.kill('SIGKILL') };
}
