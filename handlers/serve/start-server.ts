/**
 * @module handlers/serve/start-server
 * `startServer`: config -> logger, metrics, model registry -> app -> listening socket. It
 * listens at once (liveness answers during the cold start) while the registry loads and warms
 * the models in the background; `ready` settles when they are warm, and the cold-start
 * breakdown is logged then. Used by dist/server.js, the CLI's `serve`, tests and the bench
 * (port 0 on 127.0.0.1). The registry adds the libvips queue gauge to `metrics`. With
 * DETECTFN_SQS_QUEUE_URL set it also consumes that queue once the models are warm (the HTTP
 * probes and metrics stay), and `close()` stops the consumer, draining its batches, first.
 * The KServe v2 gRPC listener (handlers/grpc) starts right after the HTTP one, on
 * DETECTFN_GRPC_PORT, and drains with it on close().
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { serve, type ServerType } from '@hono/node-server';
import { createApp, type App, type AppOptions } from '../app.js';
import { loadConfig, type ServiceConfig } from '../../infra/config/index.js';
import { createLogger, type Logger } from '../../infra/log/index.js';
import { createMetrics, type Metrics } from '../../infra/metrics/index.js';
import { createModelRegistry } from '../../infra/runtime/index.js';
import type { QueueConsumer } from '../../infra/sqs/index.js';
import { createEventQueueConsumer } from '../events/queue-consumer.js';
import type { ModelRegistry, ModelRegistryOptions } from '../../infra/runtime/model-service.js';
import { resolveModelPaths } from './model-paths.js';
import { registryOptions } from './registry-options.js';
import { closeGracefully, trackResponses, type Drain } from './shutdown.js';
import { grpcPortFor, startGrpcListener, type GrpcListener } from '../grpc/server.js';

export interface StartServerOptions {
  /** Environment to read the config from. @default process.env */
  readonly env?: Record<string, string | undefined>;
  /** Overrides applied on top of the environment (port: 0 picks a free port). */
  readonly config?: Partial<ServiceConfig>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Where models/ is (manifests, the demo model). @default found beside the code */
  readonly modelsDir?: string;
  /** Builds the registry. @default createModelRegistry from infra/runtime */
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
