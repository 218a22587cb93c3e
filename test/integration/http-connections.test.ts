/**
 * Hostile and unlucky connections against the real server (startServer, real demo model and
 * yolov8n, real sockets through raw `node:net`): errors answered before the body was read,
 * pipelining behind them, bodies past the cap, clients that stall, clients that leave.
 * Small HTTP timeouts (headers 500 ms, whole request 1.5 s) and a 1 MiB body cap keep it short.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { type CapturedLog, capturingLogger } from '../helpers/capture-logger.js';
import { openConnection, type RawResponse, requestHead } from '../helpers/raw-http.js';
import { MODELS, repoRoot } from '../helpers/shared-data.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');
const CAP = 1024 * 1024;
let srv: RunningServer, log: CapturedLog;
let notReady: { responses: RawResponse[]; error: Error | undefined };

/** POST with `bodyBytes` of zeros, then a pipelined GET /healthz on the same connection. */
async function earlyErrorThenPipelined(target: string, contentType: string, bodyBytes: number) {
  const conn = await openConnection(srv.port);
  conn.socket.write(requestHead('POST', target, { 'Content-Type': contentType, 'Content-Length': bodyBytes }));
  conn.socket.write(Buffer.alloc(bodyBytes));
  conn.socket.write(requestHead('GET', '/healthz'));
  return conn;
}

beforeAll(async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  log = capturingLogger();
  srv = await startServer({
    env: {}, logger: log.logger,
    config: {
      HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [path.join(repoRoot, 'models/demo.json'), MODELS.yolov8n()], DETECTFN_MAX_BODY_BYTES: CAP,
      DETECTFN_HTTP_HEADERS_TIMEOUT_MS: 500, DETECTFN_HTTP_RECEIVE_TIMEOUT_MS: 1_500,
    },
  });
  // yolov8n needs over a second to load and warm: asked at once, it answers 503 NOT_READY.
  const conn = await earlyErrorThenPipelined('/v1/models/yolov8n/detect', 'image/jpeg', 300_000);
  await conn.waitFor(2).catch(() => undefined);
  conn.socket.end();
  notReady = await conn.closed;
  await srv.ready;
});

afterAll(async () => {
  await srv?.close();
});

describe('an error answered before the body is read', () => {
  it('503 NOT_READY with a 300 KB body: keep-alive holds, the pipelined request is answered', () => {
    expect(notReady.error).toBeUndefined();
    expect(notReady.responses.map((r) => r.status)).toEqual([503, 200]);
    expect(notReady.responses[0]!.headers.connection).toBe('keep-alive');
    expect(JSON.parse(notReady.responses[1]!.body)).toEqual({ status: 'ok' });
  });

  it.each([
    ['404 unknown model', '/v1/models/nope/detect', 'image/png', 404],
    ['415 unsupported type', '/v1/models/demo/detect', 'text/plain', 415],
    ['404 unknown route', '/v1/nothing', 'image/png', 404],
    ['404 unknown KServe model', '/v2/models/nope/infer', 'application/json', 404],
  ])('%s with a 300 KB body: keep-alive holds, the pipelined request is answered', async (_name, target, type, status) => {
    const conn = await earlyErrorThenPipelined(target, type, 300_000);
    const [first, second] = await conn.waitFor(2);
    expect(first!.status).toBe(status);
    expect(first!.headers.connection).toBe('keep-alive');
    expect(second!.status).toBe(200);
    conn.socket.end();
    expect((await conn.closed).error).toBeUndefined();
  });

  it.each([
    ['413 body too large', '/v1/models/demo/detect', 413],
    ['404 unknown route', '/v1/nothing', 404],
  ])('%s, body past the cap: Connection: close, then a clean close (FIN, no reset) while the client still sends', async (_name, target, status) => {
    const conn = await openConnection(srv.port);
    // Most of the upload at once, then the rest in the next 200 ms, as a client streaming a
    // large body does: a server that destroys the socket while bytes still arrive makes the
    // kernel reset the connection, and the client sees EPIPE/ECONNRESET.
    conn.socket.write(requestHead('POST', target, { 'Content-Type': 'image/png', 'Content-Length': 4 * CAP }));
    conn.socket.write(Buffer.alloc(3 * CAP));
    await conn.waitFor(1);
    for (let i = 0; i < 10 && !conn.socket.destroyed; i++) {
      conn.socket.write(Buffer.alloc(64 * 1024));
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!conn.socket.destroyed) conn.socket.end(requestHead('GET', '/healthz'));
    const { error, responses } = await conn.closed;
    expect(error?.message).toBeUndefined();
    expect(responses[0]).toMatchObject({ status, headers: { connection: 'close' } });
    // The pipelined request after a closing response is not answered; the close says so.
    expect(responses).toHaveLength(1);
  });
});

/**
 * The connection's end, or 'still open' after `ms`. The bound is 10x the configured timeouts
 * and far below Node's defaults (60 s headers, 300 s request): it tells "our setting applies"
 * from "Node's default applies", and measures nothing about speed.
 */
const closedWithin = <T,>(closed: Promise<T>, ms: number) =>
  Promise.race([closed, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

describe('clients that stall or leave', () => {
  it('a request whose body stalls is cut with 408 at DETECTFN_HTTP_RECEIVE_TIMEOUT_MS, logged as REQUEST_TIMEOUT', async () => {
    const conn = await openConnection(srv.port);
    conn.socket.write(requestHead('POST', '/v1/models/demo/detect', { 'Content-Type': 'image/jpeg', 'Content-Length': 900_000, 'X-Request-Id': 'stalled-body' }));
    conn.socket.write(Buffer.alloc(100_000));
    expect(await closedWithin(conn.closed, 15_000)).not.toBe('still open');
    expect(conn.responses.map((r) => r.status)).toEqual([408]);
    await expect.poll(() => log.lines.find((l) => l.reqId === 'stalled-body' && l.code)).toMatchObject({ code: 'REQUEST_TIMEOUT', status: 408, level: 30 });
  });

  it('a request whose headers stall is cut with 408 at DETECTFN_HTTP_HEADERS_TIMEOUT_MS', async () => {
    const conn = await openConnection(srv.port);
    conn.socket.write('POST /v1/models/demo/detect HTTP/1.1\r\nHost: localhost\r\nContent-Ty');
    expect(await closedWithin(conn.closed, 5_000)).not.toBe('still open');
    expect(conn.responses.map((r) => r.status)).toEqual([408]);
  });

  it('a client that aborts its upload is counted and logged as a client close (499), not a 500', async () => {
    const conn = await openConnection(srv.port);
    const arrived = once(srv.server, 'request');
    conn.socket.write(requestHead('POST', '/v1/models/demo/detect', { 'Content-Type': 'image/jpeg', 'Content-Length': 500_000, 'X-Request-Id': 'gave-up' }));
    conn.socket.write(Buffer.alloc(50_000));
    await arrived;
    conn.socket.destroy();
    await expect.poll(() => log.lines.find((l) => l.reqId === 'gave-up' && l.code)).toMatchObject({ code: 'CANCELLED', status: 499, level: 30 });
    const lines = log.lines.filter((l) => l.reqId === 'gave-up');
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('stack');
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metrics).toMatch(/detectfn_http_requests_total\{route="\/v1\/models\/:model\/detect",method="POST",status="499"\} 1/);
    expect(metrics).not.toMatch(/status="500"/);
  });
});
