/**
 * @module handlers/serve
 * Starting and stopping the service in-process: the one path dist/server.js, `detectfn serve`
 * and `detectfn sqs`, the tests and the bench all take.
 *
 * Start: config -> logger, metrics, model registry -> HTTP app -> listening socket, at once, so
 * liveness answers during the cold start while the registry loads and warms the models in the
 * background; then the KServe v2 gRPC listener, and the SQS consumer when a queue is configured,
 * once the models are warm. A model that cannot load ends the process loudly (exit 1, so the
 * platform restarts it). Stop (SIGTERM/SIGINT): readiness turns false, the listeners stop
 * accepting, keep-alive connections are told to close and closed when idle, what still runs at
 * DETECTFN_SHUTDOWN_DRAIN_MS is cut, then the models close. Readiness, exit codes and 503s are
 * what platforms act on, so none of them ever says more than is true.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DetectError } from '../core/errors.js';
import { createLogger, loadConfig, type Logger, type ServiceConfig } from '../infra/config.js';
import type { QueueConsumer } from '../infra/events/sqs.js';
import { createMetrics, type Metrics } from '../infra/metrics.js';
import { createModelRegistry, type ModelRegistry, type ModelRegistryOptions } from '../infra/model/registry.js';
import { createEventQueueConsumer } from './events/deliveries.js';
import { type GrpcListener, grpcPortFor, startGrpcListener } from './grpc/server.js';
import { createApp } from './http/app.js';
import { type App, type AppOptions, type Drain, trackResponses } from './http/middleware.js';

// `startServer`: config -> logger, metrics, model registry -> app -> listening socket. It
// listens at once (liveness answers during the cold start) while the registry loads and warms
// the models in the background; `ready` settles when they are warm, and the cold-start
// breakdown is logged then. Used by dist/server.js, the CLI's `serve`, tests and the bench
// (port 0 on 127.0.0.1). The registry adds the libvips queue gauge to `metrics`. With
// DETECTFN_SQS_QUEUE_URL set it also consumes that queue once the models are warm (the HTTP
// probes and metrics stay), and `close()` stops the consumer, draining its batches, first.
// The KServe v2 gRPC listener (handlers/grpc) starts right after the HTTP one, on
// DETECTFN_GRPC_PORT, and drains with it on close().
export interface StartServerOptions {
  /** Environment to read the config from. @default process.env */
  readonly env?: Record<string, string | undefined>;
  /** Overrides applied on top of the environment (port: 0 picks a free port). */
  readonly config?: Partial<ServiceConfig>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Where models/ is (manifests, the demo model). @default found beside the code */
  readonly modelsDir?: string;
  /** Builds the registry. @default createModelRegistry (infra/model/registry) */
  readonly createRegistry?: (options: ModelRegistryOptions) => ModelRegistry;
  readonly app?: AppOptions;
  /** Longest wait for in-flight requests on close before sockets are cut. @default DETECTFN_SHUTDOWN_DRAIN_MS */
  readonly drainMs?: number;
  /** Clients for the SQS consumer (tests). @default from the environment */
  readonly sqs?: { readonly client?: SQSClient; readonly s3Client?: () => S3Client };
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly app: App;
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly registry: ModelRegistry;
  readonly server: ServerType;
  /** The KServe v2 gRPC listener's port; undefined when it is off (DETECTFN_GRPC_PORT=0). */
  readonly grpcPort: number | undefined;
  /** Settles when every model is warm (rejects with the first load failure). */
  readonly ready: Promise<void>;
  /** The SQS consumer when DETECTFN_SQS_QUEUE_URL is set; started once `ready` settles. */
  readonly queue: QueueConsumer | undefined;
  /** Stop the queue consumer (finishing its batches), stop accepting, drain in-flight requests, close the registry. Idempotent. */
  close(): Promise<void>;
}

/** Node checks request/headers deadlines on this period (default 30 s): a small timeout needs a short one. */
const checkEvery = (config: ServiceConfig) => Math.max(50, Math.min(1_000, Math.floor(config.DETECTFN_HTTP_HEADERS_TIMEOUT_MS / 4)));

function listen(app: App, config: ServiceConfig): Promise<{ server: ServerType; drain: Drain }> {
  return new Promise((resolve, reject) => {
    // Without these a client that stalls mid-upload holds its buffered body for Node's 300 s.
    const serverOptions = {
      headersTimeout: config.DETECTFN_HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.DETECTFN_HTTP_RECEIVE_TIMEOUT_MS,
      keepAliveTimeout: config.DETECTFN_HTTP_KEEPALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: checkEvery(config),
    };
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, serverOptions }, () => resolve({ server, drain }));
    (server as Server).keepAliveTimeout = config.DETECTFN_HTTP_KEEPALIVE_TIMEOUT_MS;
    const drain = trackResponses(server as Server);
    server.once('error', reject);
  });
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const t0 = performance.now();
  const config: ServiceConfig = { ...loadConfig(options.env ?? process.env), ...options.config };
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const metrics = options.metrics ?? createMetrics();
  const models = resolveModelPaths(config.DETECTFN_MODELS, options.modelsDir);
  const registry = (options.createRegistry ?? createModelRegistry)(registryOptions(config, models, logger, metrics));
  let queue: QueueConsumer | undefined;
  try {
    if (config.DETECTFN_SQS_QUEUE_URL) queue = createEventQueueConsumer({ registry, config, logger, metrics, ...(options.sqs?.client ? { sqs: options.sqs.client } : {}), ...(options.sqs?.s3Client ? { s3Client: options.sqs.s3Client } : {}) });
  } catch (err) {
    await registry.close();
    throw err;
  }
  const app = createApp({ registry, metrics, logger, config }, options.app);
  const { server, drain } = await listen(app, config).catch(async (err: unknown) => {
    await registry.close();
    throw err;
  });
  const grpcPort = grpcPortFor(config);
  const grpc: GrpcListener | undefined = grpcPort === undefined ? undefined : await startGrpcListener({ registry, config, logger }, grpcPort).catch(async (err: unknown) => {
    await closeGracefully(server, drain, registry, logger, 0);
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const listenMs = performance.now() - t0;
  logger.info({ host: config.HOST, port, models, listenMs: Math.round(listenMs) }, 'listening');

  const ready = registry.whenReady().then(() => {
    const coldStart = registry.list().map((m) => {
      const d = m.describe();
      return { model: d.name, provider: d.provider, ...d.coldStart };
    });
    logger.info({ listenMs: Math.round(listenMs), readyMs: Math.round(performance.now() - t0), models: coldStart }, 'ready');
  });
  // A load failure is the entry point's to report: it logs one fatal line and exits (exitOnLoadFailure).

  let closing: Promise<void> | undefined;
  ready.then(() => closing === undefined && queue?.start(), () => undefined);
  const close = () => (closing ??= (async () => {
    await queue?.stop();
    await closeGracefully(server, drain, registry, logger, options.drainMs ?? config.DETECTFN_SHUTDOWN_DRAIN_MS, grpc ? [grpc.close] : []);
  })());
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, grpcPort: grpc?.port, app, config, logger, registry, server, ready, queue, close };
}

// Which models a server loads: DETECTFN_MODELS when set (relative to the working directory),
// else every manifest in models/*.json (the repo ships models/demo.json, the generated demo
// model, which needs `npm run build` to exist). models/ is found next
// to the running code (dist/server.js or handlers/serve.ts), never the working directory,
// so `node dist/server.js` works from anywhere.
/** The nearest `models/` folder at or above this file's folder (at most three levels up). */
export function findModelsDir(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'models');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

export function resolveModelPaths(configured: readonly string[], modelsDir = findModelsDir()): string[] {
  if (configured.length > 0) return configured.map((m) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(m) ? m : path.resolve(m)));
  if (modelsDir === undefined) {
    throw new DetectError('CONFIG_INVALID', 'no models configured: set DETECTFN_MODELS (no models/ folder beside the code)');
  }
  const manifests = readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(modelsDir, f));
  if (manifests.length > 0) return manifests;
  throw new DetectError('CONFIG_INVALID', `no models configured: set DETECTFN_MODELS or add a manifest to ${modelsDir} (e.g. demo.json)`);
}

// The model registry's options from the validated service config: one place for the server,
// the CLI's serve/sqs (through startServer) and the Lambda entry point.
export function registryOptions(config: ServiceConfig, models: readonly string[], logger: Logger, metrics?: Metrics): ModelRegistryOptions {
  return {
    models,
    cacheDir: config.DETECTFN_CACHE_DIR,
    cacheMaxBytes: config.DETECTFN_CACHE_MAX_BYTES,
    maxInputPixels: config.DETECTFN_MAX_INPUT_PIXELS,
    decodeWorkers: config.DETECTFN_DECODE_WORKERS,
    jpegDecoder: config.DETECTFN_JPEG_DECODER,
    loadRetries: { attempts: config.DETECTFN_LOAD_ATTEMPTS, baseDelayMs: config.DETECTFN_LOAD_RETRY_MS, maxDelayMs: config.DETECTFN_LOAD_RETRY_MAX_MS },
    s3: { connectTimeoutMs: config.DETECTFN_S3_CONNECT_TIMEOUT_MS, socketTimeoutMs: config.DETECTFN_S3_SOCKET_TIMEOUT_MS },
    logger,
    ...(metrics ? { metrics } : {}),
  };
}

// A model that cannot load ends the process, loudly, in every long-running entry point
// (dist/server.js, `detectfn serve`, `detectfn sqs`): one fatal line naming the model(s) and
// the error, a graceful close, exit 1, so the platform restarts the service. Until then
// /readyz shows the retries and the failure (registry.status()). dist/lambda.js logs the same
// line and fails its init instead.
/** The one fatal line: the failed model(s) with their reasons, the error, what happens next. */
export async function logLoadFailure(logger: Logger, registry: Pick<ModelRegistry, 'status'>, err: unknown, then: string): Promise<void> {
  const models = registry.status().filter((s) => s.state === 'failed');
  logger.fatal({ err, models }, `model failed to load, ${then}: ${(err as Error)?.message ?? String(err)}`);
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
}

export function exitOnLoadFailure(running: Pick<RunningServer, 'ready' | 'registry' | 'close'>, logger: Logger): void {
  running.ready.catch(async (err: unknown) => {
    await logLoadFailure(logger, running.registry, err, 'exiting');
    await running.close().catch((closeErr: unknown) => logger.error({ err: closeErr }, 'close after the load failure failed'));
    logger.flush(() => process.exit(1));
  });
}

// Graceful stop. From the moment it starts: the listener is closed (new connections are
// refused), every response not yet sent and every request still arriving on an open keep-alive
// connection is answered with `Connection: close`, and each connection is closed as soon as it
// goes idle, so keep-alive clients cannot keep the server busy forever. What is still running at
// `drainMs` is cut (only that); then the registry (workers) closes. Signal handling is separate
// so tests and the CLI can stop a server without a process exit.
/** `others`: other listeners' drains (the gRPC one) that must also finish before the models close. */
export async function closeGracefully(server: ServerType, drain: Drain, registry: ModelRegistry, logger: Logger, drainMs: number, others: readonly ((drainMs: number) => Promise<void>)[] = []): Promise<void> {
  const http = server as Server;
  const t0 = performance.now();
  registry.drain();
  drain.start();
  const othersDone = Promise.all(others.map((close) => close(drainMs)));
  await new Promise<void>((resolve) => {
    const cut = setTimeout(() => {
      logger.warn({ drainMs, cut: drain.cut() }, 'drain limit reached: closed the connections of requests still running');
      http.closeAllConnections();
    }, drainMs);
    http.close(() => {
      clearTimeout(cut);
      resolve();
    });
    http.closeIdleConnections();
  });
  await othersDone;
  await registry.close();
  logger.info({ ms: Math.round(performance.now() - t0) }, 'server closed');
}

/** SIGTERM/SIGINT -> close() then exit 0; a second signal exits 1 at once. */
export function exitOnSignals(close: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
