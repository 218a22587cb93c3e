/**
 * @module handlers/grpc/server
 * The KServe v2 gRPC listener (@grpc/grpc-js) on its own port: GRPCInferenceService and
 * grpc.health.v1.Health over the HTTP server's registry, batcher, auth keys and limits. A
 * message larger than DETECTFN_MAX_BODY_BYTES (the /v2 body cap) is refused by grpc-js with
 * RESOURCE_EXHAUSTED before it is decoded. close() drains like HTTP: health turns NOT_SERVING,
 * new calls are refused (tryShutdown), calls in flight finish; at the drain limit the rest are
 * cut (forceShutdown), which cancels their queued work.
 */
import * as grpc from '@grpc/grpc-js';
import type { ServiceConfig } from '../../infra/config/index.js';
import type { Logger } from '../../infra/log/index.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';
import { createTokenCheck, loadApiKeys } from '../http/auth.js';
import { healthService } from './health-service.js';
import { inferenceService } from './inference-service.js';
import { loadServiceDefinitions } from './load-proto.js';

/** The port when DETECTFN_GRPC_PORT is unset: KServe's gRPC port for custom containers. */
export const DEFAULT_GRPC_PORT = 8081;

/**
 * The port to bind: DETECTFN_GRPC_PORT; unset, 8081, or any free port when the HTTP PORT is 0
 * (tests and the bench run many servers at once). undefined: the listener is off (0).
 */
export function grpcPortFor(config: Pick<ServiceConfig, 'PORT' | 'DETECTFN_GRPC_PORT'>): number | undefined {
  if (config.DETECTFN_GRPC_PORT === 0) return undefined;
  return config.DETECTFN_GRPC_PORT ?? (config.PORT === 0 ? 0 : DEFAULT_GRPC_PORT);
}

export interface GrpcListener {
  readonly port: number;
  close(drainMs: number): Promise<void>;
}

export interface GrpcListenerDeps {
  readonly registry: ModelRegistry;
  readonly config: ServiceConfig;
  readonly logger: Logger;
}

export async function startGrpcListener(deps: GrpcListenerDeps, port: number): Promise<GrpcListener> {
  const { config, logger, registry } = deps;
  const defs = loadServiceDefinitions();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': config.DETECTFN_MAX_BODY_BYTES });
  const callDeps = { logger, requestTimeoutMs: config.DETECTFN_REQUEST_TIMEOUT_MS, checkToken: createTokenCheck(loadApiKeys(config)) };
  const health = healthService(registry);
  server.addService(defs.inference.service, inferenceService(registry, callDeps));
  server.addService(defs.health.service, health.implementation);
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  logger.info({ host: config.HOST, grpcPort: bound }, 'gRPC listening');
  let closing: Promise<void> | undefined;
  const close = (drainMs: number) =>
    (closing ??= new Promise<void>((resolve) => {
      health.shutdown();
      const cut = setTimeout(() => {
        logger.warn({ drainMs }, 'gRPC drain limit reached: cut the calls still running');
        server.forceShutdown();
        resolve();
      }, drainMs);
      server.tryShutdown(() => {
        clearTimeout(cut);
        resolve();
      });
    }));
  return { port: bound, close };
}
