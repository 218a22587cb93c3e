/**
 * @module test/helpers/radosgw
 * A real S3 server for integration tests and benchmarks: a throwaway one-node Ceph cluster
 * (1 mon, 1 memstore OSD, radosgw on 127.0.0.1) in a fresh temp dir, started in about a second.
 * Every path cleans up: a failed start stops what did start and removes the dir; a process that
 * exits without calling stop() SIGKILLs its daemons on the way out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { cephConf } from './ceph/conf.js';
import { freePort, isRunning, runTool, startDaemon, stopDaemon, tailOf } from './ceph/process.js';
import type { ChildProcess } from 'node:child_process';

export interface RadosgwConnection {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface Radosgw extends RadosgwConnection {
  /** Milliseconds from the call to the first HTTP answer plus the S3 user. */
  readonly startMs: number;
  /** Stops radosgw, then the OSD, then the mon (all at once can hang radosgw), removes the dir. */
  stop(): Promise<void>;
  /**
   * Fault injection: stops only the radosgw daemon (SIGTERM, as a crashed or restarted gateway),
   * so its port refuses connections; the cluster and every stored object stay.
   */
  stopGateway(): Promise<void>;
  /** Starts the gateway again on the same port and resolves once it answers HTTP. */
  startGateway(): Promise<void>;
}

export interface RadosgwOptions {
  /** @default 60_000 */
  readonly startTimeoutMs?: number;
  /** RAM for the memstore OSD; every stored object lives there. @default 1 GiB */
  readonly osdBytes?: number;
}

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  /** The daemon's full argument list, to start it again (fault tests). */
  readonly args: string[];
}

export async function startRadosgw(opts: RadosgwOptions = {}): Promise<Radosgw> {
  const t0 = performance.now();
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  const dir = await mkdtemp(path.join(tmpdir(), 'detectfn-rgw-'));
  const daemons: Daemon[] = [];
  const killOnExit = () => daemons.forEach((d) => isRunning(d.child) && d.child.kill('SIGKILL'));
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const d of [...daemons].reverse()) await stopDaemon(d.child, 30_000);
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    const conn = await boot(dir, daemons, opts.osdBytes ?? 1 << 30, deadline);
    const gateway = () => daemons.find((d) => d.name === 'client.rgw')!;
    const stopGateway = async () => void (await stopDaemon(gateway().child, 30_000));
    const startGateway = async () => {
      const g = gateway();
      if (isRunning(g.child)) return;
      const restarted = { ...g, child: startDaemon('radosgw', g.args, g.log) };
      daemons.splice(daemons.indexOf(g), 1, restarted);
      await waitForHttp(conn.endpoint, daemons, Date.now() + (opts.startTimeoutMs ?? 60_000));
    };
    return { ...conn, startMs: performance.now() - t0, stop, stopGateway, startGateway };
  } catch (err) {
    const tails = daemons.map((d) => `--- ${d.name} (${d.log}), last lines ---\n${tailOf(d.log, 15)}`).join('\n');
    await stop();
    throw new Error(`radosgw did not start (state in ${dir}, now removed): ${(err as Error).message}\n${tails}`, { cause: err });
  }
}

async function boot(dir: string, daemons: Daemon[], osdBytes: number, deadline: number): Promise<RadosgwConnection> {
  await Promise.all(['mon', 'osd', 'run', 'log', 'rgw'].map((d) => mkdir(path.join(dir, d))));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const conf = path.join(dir, 'ceph.conf');
  await writeFile(conf, cephConf({ dir, fsid, monPort, rgwPort, osdBytes }));
  const c = ['-c', conf];
  const daemon = (name: string, cmd: string, args: string[]) => {
    const log = path.join(dir, 'log', `${name}.out`);
    const full = [...c, ...args, '-f'];
    daemons.push({ name, child: startDaemon(cmd, full, log), log, args: full });
  };
  await runTool('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, path.join(dir, 'monmap')]);
  await runTool('ceph-mon', [...c, '-i', 'a', '--mkfs', '--monmap', path.join(dir, 'monmap')]);
  daemon('mon.a', 'ceph-mon', ['-i', 'a']);
  const osdUuid = randomUUID();
  await runTool('ceph', [...c, '--connect-timeout', '20', 'osd', 'new', osdUuid]);
  await runTool('ceph-osd', [...c, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
  daemon('osd.0', 'ceph-osd', ['-i', '0']);
  daemon('client.rgw', 'radosgw', ['-n', 'client.rgw']);
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  await waitForHttp(endpoint, daemons, deadline);
  const accessKeyId = randomBytes(10).toString('hex').toUpperCase();
  const secretAccessKey = randomBytes(20).toString('hex');
  await runTool('radosgw-admin', [...c, 'user', 'create', '--uid', 'detectfn', '--display-name', 'detectfn',
    '--access-key', accessKeyId, '--secret-key', secretAccessKey]);
  return { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey };
}

/** Polls until radosgw answers HTTP; fails at once when a daemon has died. */
async function waitForHttp(endpoint: string, daemons: Daemon[], deadline: number): Promise<void> {
  for (;;) {
    const dead = daemons.find((d) => !isRunning(d.child));
    if (dead) throw new Error(`${dead.name} exited with ${dead.child.exitCode ?? dead.child.signalCode}`);
    if (Date.now() > deadline) throw new Error(`no HTTP answer from ${endpoint} before the deadline`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** An S3 client for the test server, configured as radosgw needs (see environment notes). */
export function s3ClientFor(conn: RadosgwConnection): S3Client {
  return new S3Client({
    endpoint: conn.endpoint,
    region: conn.region,
    forcePathStyle: true,
    credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
    // Streamed PutObject bodies get a 411 from radosgw with the SDK's default checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
