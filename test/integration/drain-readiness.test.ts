/**
 * Readiness tells the truth during a drain: once shutdown begins, a probe cannot see "ready"
 * any more: new connections are refused, the idle keep-alive connection a prober held is closed,
 * and the readiness state itself (registry status, the `detectfn_model_ready` gauge, what /readyz
 * renders) says "closed: shutting down", while a request still in flight keeps the drain open.
 * Real server (startServer, demo model), real sockets through raw `node:net`.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { startServer } from '../../handlers/serve.js';
import { buildDemoModelFile } from '../../models/demo/demo-model.js';
import { capturingLogger } from '../helpers/capture-logger.js';
import { openConnection, requestHead } from '../helpers/raw-http.js';
import { repoRoot } from '../helpers/shared-data.js';

const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');

it('/readyz turns 503 "shutting down" the moment the drain begins, while in-flight work keeps the drain open', async () => {
  if (!existsSync(DEMO_ONNX)) await buildDemoModelFile(DEMO_ONNX);
  const { logger } = capturingLogger();
  const srv = await startServer({ env: {}, logger, config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: [path.join(repoRoot, 'models/demo.json')] } });
  try {
    await srv.ready;
    const probe = await openConnection(srv.port);
    probe.socket.write(requestHead('GET', '/readyz'));
    expect((await probe.waitFor(1))[0]!.status).toBe(200);

    // An upload that never finishes: the drain must wait for it (up to the drain limit).
    const stalled = await openConnection(srv.port);
    const arrived = once(srv.server, 'request');
    stalled.socket.write(requestHead('POST', '/v1/models/demo/detect', { 'Content-Type': 'image/png', 'Content-Length': 100_000 }));
    stalled.socket.write(Buffer.alloc(1_000));
    await arrived;

    const closing = srv.close();
    expect((await probe.closed).error).toBeUndefined(); // the idle probe connection: closed cleanly
    const refused = await fetch(`${srv.url}/readyz`).then((r) => String(r.status), (e: Error) => (e.cause as { code?: string })?.code);
    expect(refused).toBe('ECONNREFUSED');
    expect(srv.registry.allReady()).toBe(false);
    expect(srv.registry.status()).toEqual([{ name: 'demo', version: '1', state: 'closed', reason: 'shutting down' }]);
    // What /readyz and the gauge render from the same state, through the app without a socket.
    const during = await srv.app.request('/readyz');
    expect(during.status).toBe(503);
    expect(((await during.json()) as { error: { message: string } }).error.message).toBe('models not ready: demo (closed: shutting down)');
    expect(await (await srv.app.request('/metrics')).text()).toContain('detectfn_model_ready{model="demo",version="1"} 0');
    expect(stalled.socket.destroyed).toBe(false); // the in-flight upload still holds the drain open

    stalled.socket.destroy();
    await closing;
  } finally {
    await srv.close();
  }
});
