/**
 * @module handlers/grpc/server
 * The KServe v2 gRPC listener (@grpc/grpc-js) on its own port: `inference.GRPCInferenceService`
 * (inference.ts) and `grpc.health.v1.Health` over the HTTP server's registry, auth keys and
 * limits. This file is the connection level: the service definitions, the server's channel
 * options, the health service, and the drain on shutdown. What happens to each call is
 * inference.ts.
 *
 * The channel options come from the environment (infra/config validates them):
 * - Message size: a ModelInfer message is a /v2 request body in another framing, so it has the
 *   /v2 body cap (DETECTFN_V2_MAX_BODY_BYTES, 64 MiB: an FP32 [N,3,640,640] batch travels
 *   raw), not the image routes' 20 MiB. grpc-js refuses a larger message, on the wire or after
 *   grpc-encoding decompression, with RESOURCE_EXHAUSTED before it is decoded.
 * - Keepalive: the server pings every connection each DETECTFN_GRPC_KEEPALIVE_TIME_MS and
 *   closes it when the answer takes over DETECTFN_GRPC_KEEPALIVE_TIMEOUT_MS, so a client that
 *   vanished (a half-open connection behind a load balancer) does not hold its connection, and
 *   balancers and NAT that drop idle flows see traffic. grpc-js's server pings whether or not
 *   calls are open and does not police its clients' pings (it has no
 *   keepalive_permit_without_calls or min_ping_interval to set), so clients may keep their
 *   own keepalive at any period without a GOAWAY `too_many_pings`.
 * - Connection age: a gRPC client keeps one HTTP/2 connection and sends every call on it, so
 *   behind an L4 balancer all of its calls land on the replica it first reached, and replicas
 *   added later get none. After DETECTFN_GRPC_MAX_CONNECTION_AGE_MS (grpc-js adds +-10%
 *   jitter, so clients do not reconnect in step) the server sends GOAWAY: the client opens a
 *   new connection, which the balancer may place elsewhere, while the calls already on the old
 *   one run on for up to DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS (by default the request
 *   timeout, the longest a call can run) before it is closed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Logger, ServiceConfig } from '../../infra/config.js';
import type { ModelRegistry } from '../../infra/model/registry.js';
import { createTokenCheck, loadApiKeys } from '../request.js';
import { inferenceService } from './inference.js';

// ---------------------------------------------------------------------------------------------
// Service definitions, from the .proto files that ship beside the code: from source they are
// handlers/grpc/proto/, in the build scripts/build.mjs copies them to dist/proto/ beside the
// bundles (import.meta.url is the bundle there). Tests build their real client from the same
// files, so the client and the server cannot disagree on a field number.
// ---------------------------------------------------------------------------------------------
export const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));
export const INFERENCE_PROTO = 'grpc_service.proto';
export const HEALTH_PROTO = 'health.proto';

/** int64 as JS numbers (shapes, parameters: far below 2^53), enums as names, proto field names. */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] };

export interface ServiceDefinitions {
  readonly inference: grpc.ServiceClientConstructor;
  readonly health: grpc.ServiceClientConstructor;
}

export function loadServiceDefinitions(): ServiceDefinitions {
  if (!existsSync(PROTO_DIR + INFERENCE_PROTO)) throw new Error(`gRPC: ${PROTO_DIR}${INFERENCE_PROTO} is missing (scripts/build.mjs copies handlers/grpc/proto/ to dist/proto/)`);
  const defs = grpc.loadPackageDefinition(protoLoader.loadSync([INFERENCE_PROTO, HEALTH_PROTO], LOADER_OPTIONS)) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return { inference: defs.inference.GRPCInferenceService, health: defs.grpc.health.v1.Health };
}

// ---------------------------------------------------------------------------------------------
// Port and channel options.
// ---------------------------------------------------------------------------------------------
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

type ChannelConfig = Pick<
  ServiceConfig,
  | 'DETECTFN_V2_MAX_BODY_BYTES'
  | 'DETECTFN_REQUEST_TIMEOUT_MS'
  | 'DETECTFN_GRPC_KEEPALIVE_TIME_MS'
  | 'DETECTFN_GRPC_KEEPALIVE_TIMEOUT_MS'
  | 'DETECTFN_GRPC_MAX_CONNECTION_AGE_MS'
  | 'DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS'
>;

/** grpc-js server options from the environment (see the module doc). A 0 setting leaves grpc-js's "never". */
export function serverOptions(config: ChannelConfig): grpc.ServerOptions {
  const options: grpc.ServerOptions = { 'grpc.max_receive_message_length': config.DETECTFN_V2_MAX_BODY_BYTES };
  if (config.DETECTFN_GRPC_KEEPALIVE_TIME_MS > 0) {
    options['grpc.keepalive_time_ms'] = config.DETECTFN_GRPC_KEEPALIVE_TIME_MS;
    options['grpc.keepalive_timeout_ms'] = config.DETECTFN_GRPC_KEEPALIVE_TIMEOUT_MS;
  }
  if (config.DETECTFN_GRPC_MAX_CONNECTION_AGE_MS > 0) {
    options['grpc.max_connection_age_ms'] = config.DETECTFN_GRPC_MAX_CONNECTION_AGE_MS;
    options['grpc.max_connection_age_grace_ms'] = config.DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS ?? config.DETECTFN_REQUEST_TIMEOUT_MS;
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Health: `grpc.health.v1.Health` for Kubernetes gRPC probes, SERVING only while every model is
// ready (registry.allReady(), as /readyz), NOT_SERVING otherwise. The service name '' (the
// server) and 'inference.GRPCInferenceService' are known; Check on any other name is NOT_FOUND
// and Watch sends SERVICE_UNKNOWN, as the health protocol says. Watch sends the status at once
// and again on every change. The registry has no change events, so open watches look every
// WATCH_POLL_MS (one timer for all of them, only while any is open); on shutdown they get
// NOT_SERVING and are ended, so they do not hold the drain.
// ---------------------------------------------------------------------------------------------
export const KNOWN_SERVICES: ReadonlySet<string> = new Set(['', 'inference.GRPCInferenceService']);
export const WATCH_POLL_MS = 250;

type Status = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
type Watch = grpc.ServerWritableStream<{ service: string }, { status: Status }>;

export interface HealthService {
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Sends NOT_SERVING to every watch and ends them; later checks answer NOT_SERVING. */
  shutdown(): void;
}

export function healthService(registry: ModelRegistry): HealthService {
  let stopping = false;
  const watches = new Map<Watch, Status>();
  let timer: NodeJS.Timeout | undefined;
  const statusOf = (service: string): Status => (!KNOWN_SERVICES.has(service) ? 'SERVICE_UNKNOWN' : !stopping && registry.allReady() ? 'SERVING' : 'NOT_SERVING');
  const send = (w: Watch) => {
    const now = statusOf(w.request.service);
    if (watches.get(w) !== now) w.write({ status: now });
    watches.set(w, now);
  };
  const stopTimer = () => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    implementation: {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const status = statusOf(call.request.service);
        if (status === 'SERVICE_UNKNOWN') callback({ code: grpc.status.NOT_FOUND, details: `unknown service '${call.request.service}'` });
        else callback(null, { status });
      },
      Watch: (call: Watch) => {
        send(call);
        if (stopping) return void call.end();
        call.on('cancelled', () => {
          watches.delete(call);
          if (watches.size === 0) stopTimer();
        });
        timer ??= setInterval(() => watches.forEach((_, w) => send(w)), WATCH_POLL_MS).unref();
      },
    },
    shutdown() {
      stopping = true;
      stopTimer();
      for (const w of watches.keys()) (send(w), w.end());
      watches.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The listener. close() drains like HTTP: health turns NOT_SERVING, new calls are refused
// (tryShutdown), calls in flight finish; at the drain limit the rest are cut (forceShutdown),
// which cancels their queued work.
// ---------------------------------------------------------------------------------------------
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
  const server = new grpc.Server(serverOptions(config));
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
