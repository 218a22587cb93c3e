/**
 * The gRPC listener's own settings with a STAND-IN registry (test/helpers/fake-registry.ts: no
 * model runs), a real grpc-js server on 127.0.0.1 and real clients: a grpc-js client where the
 * call's answer matters, a plain node:http2 session where the connection itself does (GOAWAY,
 * PING). Everything waits on events; nothing asserts on elapsed time.
 */
import http2 from 'node:http2';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DetectError, ERROR_STATUS, GRPC_STATUS } from '../../core/errors.js';
import { loadConfig, silentLogger } from '../../infra/config.js';
import type { DetectResult } from '../../infra/model/detect.js';
import { standInRegistry, type StandInRegistry } from '../../test/helpers/fake-registry.js';
import { bytesInferRequest, grpcClients, type GrpcClients, grpcError, rawUnary, unary } from '../../test/helpers/grpc-client.js';
import { RETRY_PUSHBACK_TRAILER } from './inference.js';
import { DEFAULT_GRPC_PORT, type GrpcListener, grpcPortFor, serverOptions, startGrpcListener } from './server.js';

describe('gRPC port', () => {
  it('DETECTFN_GRPC_PORT wins; unset is 8081, or any free port when PORT is 0; 0 turns the listener off', () => {
    expect(grpcPortFor(loadConfig({}))).toBe(DEFAULT_GRPC_PORT);
    expect(DEFAULT_GRPC_PORT).toBe(8081);
    expect(grpcPortFor(loadConfig({ PORT: '0' }))).toBe(0);
    expect(grpcPortFor(loadConfig({ DETECTFN_GRPC_PORT: '9001' }))).toBe(9001);
    expect(grpcPortFor(loadConfig({ PORT: '0', DETECTFN_GRPC_PORT: '9001' }))).toBe(9001);
    expect(grpcPortFor(loadConfig({ DETECTFN_GRPC_PORT: '0' }))).toBeUndefined();
  });

  it('a bad DETECTFN_GRPC_PORT stops start-up naming the variable', () => {
    expect(() => loadConfig({ DETECTFN_GRPC_PORT: '70000' })).toThrow(/DETECTFN_GRPC_PORT/);
    expect(() => loadConfig({ DETECTFN_GRPC_PORT: 'grpc' })).toThrow(/DETECTFN_GRPC_PORT/);
  });
});

describe('what the gRPC listener loads', () => {
  it('never reaches handlers/http or Hono: the KServe code it shares is protocol-neutral', () => {
    const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // Module imports only: `import type` is erased at build time and loads nothing.
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)) {
        if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts')));
        else packages.add(spec!.split('/')[0]!);
      }
    };
    visit(path.join(root, 'handlers/grpc/server.ts'));
    const files = [...seen].map((f) => path.relative(root, f));
    expect(files).toContain('handlers/kserve/codec.ts');
    expect(files.filter((f) => f.startsWith('handlers/http/'))).toEqual([]);
    expect([...packages].filter((p) => p === 'hono' || p.startsWith('@hono'))).toEqual([]);
  });
});

describe('GRPC_STATUS', () => {
  it('has a gRPC status for every error code, matching the HTTP class', () => {
    expect(Object.keys(GRPC_STATUS).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    const httpToGrpc: Record<number, number[]> = { 400: [3], 401: [16], 403: [7], 404: [5], 413: [8], 415: [3], 503: [14], 499: [1], 408: [4], 504: [4], 500: [13], 502: [14] };
    for (const [code, http] of Object.entries(ERROR_STATUS)) expect(httpToGrpc[http], code).toContain(GRPC_STATUS[code as keyof typeof GRPC_STATUS]);
  });
});

describe('channel options from the environment', () => {
  it('defaults: the /v2 body cap, keepalive every 2 min (20 s to answer), GOAWAY after 10 min with the request timeout as grace', () => {
    expect(serverOptions(loadConfig({}))).toEqual({
      'grpc.max_receive_message_length': 64 * 1024 ** 2,
      'grpc.keepalive_time_ms': 120_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.max_connection_age_ms': 600_000,
      'grpc.max_connection_age_grace_ms': 30_000,
    });
  });

  it('follows DETECTFN_V2_MAX_BODY_BYTES, not the image routes\' DETECTFN_MAX_BODY_BYTES; 0 turns keepalive and the age limit off', () => {
    const options = serverOptions(loadConfig({
      DETECTFN_MAX_BODY_BYTES: '1000', DETECTFN_V2_MAX_BODY_BYTES: '5000', DETECTFN_REQUEST_TIMEOUT_MS: '90000',
      DETECTFN_GRPC_KEEPALIVE_TIME_MS: '0', DETECTFN_GRPC_MAX_CONNECTION_AGE_MS: '0',
    }));
    expect(options).toEqual({ 'grpc.max_receive_message_length': 5000 });
    const grace = serverOptions(loadConfig({ DETECTFN_REQUEST_TIMEOUT_MS: '90000', DETECTFN_GRPC_MAX_CONNECTION_AGE_MS: '300000' }));
    expect(grace).toMatchObject({ 'grpc.max_connection_age_ms': 300_000, 'grpc.max_connection_age_grace_ms': 90_000 });
    expect(serverOptions(loadConfig({ DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS: '5000' }))['grpc.max_connection_age_grace_ms']).toBe(5000);
  });

  it('a bad value stops start-up naming the variable', () => {
    for (const [name, value] of [
      ['DETECTFN_GRPC_KEEPALIVE_TIME_MS', '-1'],
      ['DETECTFN_GRPC_KEEPALIVE_TIMEOUT_MS', '0'],
      ['DETECTFN_GRPC_MAX_CONNECTION_AGE_MS', '10m'],
      ['DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS', String(2 ** 31)], // past what a Node timer holds
    ]) expect(() => loadConfig({ [name!]: value! }), name).toThrow(new RegExp(`invalid environment: ${name}: `));
  });
});

describe('a running listener', () => {
  let listener: GrpcListener | undefined, clients: GrpcClients | undefined, session: http2.ClientHttp2Session | undefined;
  afterEach(async () => {
    session?.destroy();
    clients?.close();
    await listener?.close(0);
    listener = clients = session = undefined;
  });

  async function start(registry: StandInRegistry, env: Record<string, string> = {}) {
    listener = await startGrpcListener({ registry, config: loadConfig({ HOST: '127.0.0.1', ...env }), logger: silentLogger() }, 0);
    return listener.port;
  }

  /**
   * A listener whose connections reach their max age after 300 ms, and one ModelInfer on a plain
   * HTTP/2 session that the stand-in model holds until `release()`; resolves once it is held.
   */
  async function heldCall(graceMs: number) {
    const registry = standInRegistry();
    const model = registry.get('stand-in');
    const answer = model.detectMany.bind(model);
    let release!: () => void, started!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = new Promise<void>((r) => (started = r));
    model.detectMany = async (images, options, ctx): Promise<DetectResult[]> => {
      started();
      await gate;
      return answer(images, options, ctx);
    };
    const port = await start(registry, { DETECTFN_GRPC_MAX_CONNECTION_AGE_MS: '300', DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS: String(graceMs) });
    const s = (session = http2.connect(`http://127.0.0.1:${port}`));
    const goaway = once(s, 'goaway') as Promise<[number, number, Buffer]>;
    goaway.catch(() => undefined); // awaited by one test only
    const closed = once(s, 'close');
    const call = rawUnary(s, 'ModelInfer', bytesInferRequest('stand-in', [new Uint8Array(3)]));
    await running;
    return { goaway, closed, call, release };
  }

  it('retryable refusals carry grpc-retry-pushback-ms (milliseconds) that a grpc-js client reads in the trailers', async () => {
    const registry = standInRegistry();
    clients = grpcClients(await start(registry));
    registry.ready = false; // registry.get: NOT_READY, retry after 1 s
    const notReady = await grpcError(unary(clients.inference, 'ModelInfer', bytesInferRequest('stand-in', [new Uint8Array(3)])));
    expect(notReady.code).toBe(grpc.status.UNAVAILABLE);
    expect(notReady.metadata.get(RETRY_PUSHBACK_TRAILER)).toEqual(['1000']);
    expect(notReady.metadata.get('retry-after')).toEqual([]);
    registry.ready = true;
    registry.failWith = new DetectError('ENGINE_UNAVAILABLE', 'no live engine worker', { retryAfterS: 2.5 });
    const engine = await grpcError(unary(clients.inference, 'ModelInfer', bytesInferRequest('stand-in', [new Uint8Array(3)])));
    expect(engine.code).toBe(grpc.status.UNAVAILABLE);
    expect(engine.metadata.get(RETRY_PUSHBACK_TRAILER)).toEqual(['2500']);
    registry.failWith = new DetectError('INVALID_ARGUMENT', 'not retryable');
    const bad = await grpcError(unary(clients.inference, 'ModelInfer', bytesInferRequest('stand-in', [new Uint8Array(3)])));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.metadata.get(RETRY_PUSHBACK_TRAILER)).toEqual([]);
  });

  it('accepts a message past the image routes\' 20 MiB up to the /v2 cap, and refuses one past it with RESOURCE_EXHAUSTED', async () => {
    const registry = standInRegistry();
    clients = grpcClients(await start(registry, { DETECTFN_MAX_BODY_BYTES: String(20 * 1024 ** 2), DETECTFN_V2_MAX_BODY_BYTES: String(32 * 1024 ** 2) }));
    const big = new Uint8Array(30 * 1024 ** 2);
    const { res } = await unary<{ outputs: { name: string }[] }>(clients.inference, 'ModelInfer', bytesInferRequest('stand-in', [big]));
    expect(res.outputs.map((o) => o.name)).toEqual(['num_dets', 'det_boxes', 'det_scores', 'det_classes']);
    expect(registry.calls.map((c) => c.bytes.byteLength)).toEqual([big.byteLength]);
    const over = await grpcError(unary(clients.inference, 'ModelInfer', bytesInferRequest('stand-in', [new Uint8Array(32 * 1024 ** 2)])));
    expect(over.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(registry.calls).toHaveLength(1);
  });

  it('sends GOAWAY at the max connection age; a call in flight completes within the grace, then the connection closes', async () => {
    const held = await heldCall(600_000);
    const [code, , opaque] = await held.goaway;
    expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(opaque.toString()).toBe('max_age');
    held.release();
    expect((await held.call.trailers)['grpc-status']).toBe('0');
    await held.closed; // the server ends the connection once its last call is answered
  });

  it('cuts a call still running when the grace ends', async () => {
    const held = await heldCall(300);
    await held.closed;
    await expect(held.call.trailers).rejects.toThrow(/without trailers/);
    held.release();
  });

  it('pings each connection every DETECTFN_GRPC_KEEPALIVE_TIME_MS', async () => {
    const port = await start(standInRegistry(), { DETECTFN_GRPC_KEEPALIVE_TIME_MS: '100' });
    session = http2.connect(`http://127.0.0.1:${port}`);
    await once(session, 'ping');
    await once(session, 'ping'); // again after the first was answered: a timer per connection, not one ping
  });
});
