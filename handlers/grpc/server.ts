/**
 * @module handlers/grpc/server
 * Loads the service definitions from the .proto files, which ship beside the code: from source
 * they are handlers/grpc/proto/, in the build scripts/build.mjs copies them to dist/proto/
 * beside the bundles (import.meta.url is the bundle there). Tests build their real client from
 * the same files, so the client and the server cannot disagree on a field number.
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
import { DetectError, GRPC_STATUS, toDetectError } from '../../core/errors.js';
import type { Logger, ServiceConfig } from '../../infra/config.js';
import type { ModelRegistry, RequestContext } from '../../infra/model/registry.js';
import { bearerToken, createTokenCheck, loadApiKeys, logRequestError, requestContext, requestIdFrom, withClientTimeout } from '../request.js';
import { inferenceService } from './inference.js';

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

// ---- wire-types ----
// The grpc_service.proto messages detectfn reads and writes, as @grpc/proto-loader hands them
// over with LOADER_OPTIONS (proto field names, int64 as number, oneofs named).
/** InferParameter: one of its oneof members, named by parameter_choice. */
export interface GrpcInferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: number;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: number;
}
export type GrpcParameters = Readonly<Record<string, GrpcInferParameter>>;

export interface GrpcTensorContents {
  readonly bool_contents?: readonly boolean[];
  readonly int_contents?: readonly number[];
  readonly int64_contents?: readonly number[];
  readonly uint_contents?: readonly number[];
  readonly uint64_contents?: readonly number[];
  readonly fp32_contents?: readonly number[];
  readonly fp64_contents?: readonly number[];
  readonly bytes_contents?: readonly Uint8Array[];
}

export interface GrpcInferInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters?: GrpcParameters;
  readonly contents?: GrpcTensorContents | null;
}

export interface GrpcInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters?: GrpcParameters;
  readonly inputs: readonly GrpcInferInput[];
  readonly outputs: readonly { readonly name: string; readonly parameters?: GrpcParameters }[];
  readonly raw_input_contents: readonly Uint8Array[];
}

export interface GrpcInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

export interface GrpcModelRef {
  readonly name: string;
  readonly version: string;
}

// ---- call ----
// A refusal that says when to come back (QUEUE_FULL, NOT_READY, ENGINE_UNAVAILABLE: UNAVAILABLE
// with DetectError.retryAfterS) carries gRPC's standard `grpc-retry-pushback-ms` trailer, in
// milliseconds (gRFC A6): a client with a retry policy waits that long before its next attempt
// instead of its own backoff. It is the gRPC form of HTTP's Retry-After header.
// What every gRPC call goes through, like the HTTP middleware, with the rules of
// handlers/request.ts: a request id (the caller's
// `x-request-id` metadata when sane, as over HTTP, else a UUID; echoed in the trailers), the
// `authorization: Bearer <key>` check shared with HTTP, a RequestContext (the server deadline,
// brought forward by the call's `grpc-timeout`, and a signal that aborts when the call is
// cancelled or its deadline passes, so its queued work is dropped), and the one error mapping:
// GRPC_STATUS[code], logged with the request id at the level HTTP uses for that code.
export const RETRY_PUSHBACK_TRAILER = 'grpc-retry-pushback-ms';

export interface CallDeps {
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Throws UNAUTHORIZED unless the token is a configured key (handlers/request.ts createTokenCheck). */
  readonly checkToken: (token: string | undefined) => void;
}

export interface CallInfo {
  readonly reqId: string;
  readonly ctx: RequestContext;
  /** performance.now() when the call arrived (parameters.timeout counts from it). */
  readonly arrival: number;
}

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

const metaString = (call: Call, key: string) => {
  const v = call.metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

function callInfo(call: Call, deps: CallDeps): CallInfo {
  const arrival = performance.now();
  const reqId = requestIdFrom(metaString(call, 'x-request-id'));
  const gone = new AbortController();
  call.on('cancelled', () => gone.abort());
  let ctx = requestContext(reqId, deps.requestTimeoutMs, gone.signal, arrival);
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline - Date.now();
  if (Number.isFinite(ms)) ctx = withClientTimeout(ctx, Math.max(0, ms), arrival);
  return { reqId, ctx, arrival };
}

function trailers(reqId: string, err?: DetectError): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-request-id', reqId);
  // A non-negative integer: a negative or unreadable value would tell the client never to retry.
  if (err?.retryAfterS !== undefined) md.set(RETRY_PUSHBACK_TRAILER, String(Math.max(0, Math.round(err.retryAfterS * 1000))));
  return md;
}

/** Logs `raw` as HTTP would and returns the status the caller gets. */
export function grpcStatus(raw: unknown, call: Call, reqId: string, method: string, logger: Logger): grpc.ServerErrorResponse {
  const err = call.cancelled ? new DetectError('CANCELLED', 'client cancelled the call or its deadline passed', { cause: raw }) : toDetectError(raw);
  logRequestError(logger, { reqId, method, grpcStatus: GRPC_STATUS[err.code], code: err.code }, raw, err, call.cancelled);
  return Object.assign(new Error(err.message), { code: GRPC_STATUS[err.code], details: err.message, metadata: trailers(reqId, err) });
}

export type UnaryWork<Req, Res> = (request: Req, info: CallInfo) => Promise<Res> | Res;

/** A unary handler: request id, auth (unless `open`), context, error mapping. */
export function unary<Req, Res>(method: string, deps: CallDeps, work: UnaryWork<Req, Res>, open = false): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const info = callInfo(call as Call, deps);
    void (async () => {
      if (!open) deps.checkToken(bearerToken(metaString(call as Call, 'authorization')));
      return work(call.request, info);
    })().then(
      (res) => callback(null, res, trailers(info.reqId)),
      (err: unknown) => callback(grpcStatus(err, call as Call, info.reqId, method, deps.logger)),
    );
  };
}

// ---- health-service ----
// `grpc.health.v1.Health` for Kubernetes gRPC probes: SERVING only while every model is ready
// (registry.allReady(), as /readyz), NOT_SERVING otherwise. The service name '' (the server)
// and 'inference.GRPCInferenceService' are known; Check on any other name is NOT_FOUND and
// Watch sends SERVICE_UNKNOWN, as the health protocol says. Watch sends the status at once and
// again on every change. The registry has no change events, so open watches look every
// WATCH_POLL_MS (one timer for all of them, only while any is open); on shutdown they get
// NOT_SERVING and are ended, so they do not hold the drain.
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

// ---- server ----
// The KServe v2 gRPC listener (@grpc/grpc-js) on its own port: GRPCInferenceService and
// grpc.health.v1.Health over the HTTP server's registry, batcher, auth keys and limits, with
// the channel options above. close() drains like HTTP: health turns NOT_SERVING,
// new calls are refused (tryShutdown), calls in flight finish; at the drain limit the rest are
// cut (forceShutdown), which cancels their queued work.
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
