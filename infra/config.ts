/**
 * @module infra/config
 * What the service takes from its environment, validated once at start-up, and the logger it
 * configures. A bad value stops the process with an error naming the variable
 * ("DETECTFN_MAX_BODY_BYTES: expected a positive integer, got 'ten'"); after that the config is
 * typed, frozen and trusted. Per-model settings live in the model manifest, not here. Logs are
 * structured JSON (pino): every request-scoped line carries `reqId`, and request bodies are never
 * logged (only sizes and content types), so a log line can never leak an image or a key.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { DetectError } from '../core/errors.js';
import { DEFAULT_CLASSIFY_OPTIONS, MAX_TOP_K } from '../core/options.js';

// Structured JSON logs (pino). Every request-scoped line carries `reqId`; request bodies are
// never logged (only sizes and content types), so a log line can never leak an image or a key.
export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL from the environment, checked: a typo stops start-up naming the variable. */
export function logLevelFromEnv(env: Record<string, string | undefined>, fallback: LogLevel): LogLevel {
  const v = env.LOG_LEVEL;
  if (v === undefined || v === '') return fallback;
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new DetectError('CONFIG_INVALID', `invalid environment: LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
}

export interface LoggerOptions {
  /** @default process.env.LOG_LEVEL ?? 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @default stdout */
  readonly destination?: NodeJS.WritableStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? logLevelFromEnv(process.env, 'info');
  return pino(
    {
      name: options.name ?? 'detectfn',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: even if someone logs a request object, its body and auth never print.
      redact: { paths: ['body', 'req.body', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything: the default for library code and unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

// Service configuration from environment variables, validated once at start-up. A bad value
// stops the process with an error naming the variable ("DETECTFN_MAX_BODY_BYTES: expected a
// positive integer, got 'ten'"). Per-model settings live in the model manifest, not here.
const int = (min: number) => z.coerce.number().int().min(min);
/** Milliseconds a Node timer can hold: past 2^31-1 setTimeout fires at once, and grpc-js reads 2^31-1 itself as "never". */
const timerMs = (min: number) => int(min).max(2 ** 31 - 2);
const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const EnvSchema = z.object({
  PORT: int(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** KServe v2 gRPC listener port; 0 turns it off. Unset: 8081, or a free port when PORT is 0 (tests, bench). */
  DETECTFN_GRPC_PORT: int(0).max(65535).optional(),
  /**
   * gRPC keepalive (handlers/grpc/server.ts): the server pings each connection this often and
   * closes it when no answer comes within the timeout; 0: no pings. 2 min, under the idle
   * timeouts of common L4 balancers (Azure 4 min, AWS NLB 350 s, GCP 10 min).
   */
  DETECTFN_GRPC_KEEPALIVE_TIME_MS: timerMs(0).default(120_000),
  DETECTFN_GRPC_KEEPALIVE_TIMEOUT_MS: timerMs(1).default(20_000),
  /**
   * gRPC connections older than this get GOAWAY (+-10% jitter), so clients reconnect and an L4
   * balancer spreads them over the replicas; 0: never. Calls already running get the grace
   * (unset: DETECTFN_REQUEST_TIMEOUT_MS, the longest a call can run) before the connection closes.
   */
  DETECTFN_GRPC_MAX_CONNECTION_AGE_MS: timerMs(0).default(600_000),
  DETECTFN_GRPC_MAX_CONNECTION_AGE_GRACE_MS: timerMs(0).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Comma-separated manifests or .onnx files; empty = models/*.json or the demo model. */
  DETECTFN_MODELS: list.default([]),
  DETECTFN_CACHE_DIR: z.string().min(1).default('/tmp/detectfn-cache'),
  DETECTFN_CACHE_MAX_BYTES: int(1).default(4 * 1024 ** 3),
  DETECTFN_MAX_BODY_BYTES: int(1).default(20 * 1024 ** 2),
  /** Body cap of the /v2 (KServe / Triton) routes, on the wire and after gzip/deflate: an FP32 [1,3,640,640] tensor as JSON is ~22 MB. */
  DETECTFN_V2_MAX_BODY_BYTES: int(1).default(64 * 1024 ** 2),
  DETECTFN_MAX_INPUT_PIXELS: int(1).default(40_000_000),
  DETECTFN_REQUEST_TIMEOUT_MS: int(1).default(30_000),
  /** Longest wait for a request's headers; a client that stalls before them is cut (Node's headersTimeout). */
  DETECTFN_HTTP_HEADERS_TIMEOUT_MS: int(1).default(10_000),
  /** Longest wait for a whole request (headers and body); a stalled upload is cut with 408 (Node's requestTimeout). */
  DETECTFN_HTTP_RECEIVE_TIMEOUT_MS: int(1).default(60_000),
  /** How long an idle keep-alive connection stays open (Node's keepAliveTimeout). */
  DETECTFN_HTTP_KEEPALIVE_TIMEOUT_MS: int(1).default(5_000),
  /** On SIGTERM, longest wait for in-flight requests before their connections are cut. */
  DETECTFN_SHUTDOWN_DRAIN_MS: int(0).default(10_000),
  /** Decode worker threads; 0 decodes on the main thread. Unset: scaled with the cores (infra/image decodeWorkersFor). */
  DETECTFN_DECODE_WORKERS: int(0).max(64).optional(),
  /** Who decodes plain JPEGs: the libjpeg-turbo addon (dist/native), sharp, or auto (the addon where built). Same pixels. */
  DETECTFN_JPEG_DECODER: z.enum(['auto', 'turbojpeg', 'sharp']).default('auto'),
  /** Comma-separated bearer tokens; auth is off when neither this nor the file is set. */
  DETECTFN_API_KEYS: list.default([]),
  DETECTFN_API_KEYS_FILE: z.string().min(1).optional(),
  /** The web page at GET / (handlers/http/page.ts); `off` answers 404 there. */
  DETECTFN_UI: z.enum(['on', 'off']).default('on'),
  DETECTFN_EVENTS_OUTPUT: z.string().min(1).optional(),
  DETECTFN_EVENTS_ERRORS: z.string().min(1).optional(),
  DETECTFN_EVENTS_MODEL: z.string().min(1).optional(),
  DETECTFN_EVENTS_CONCURRENCY: int(1).default(8),
  DETECTFN_EVENTS_MAX_OBJECT_BYTES: int(1).default(20 * 1024 ** 2),
  /** Buckets events may name (unset: any, with a start-up warning); with several, output keys include the bucket. */
  DETECTFN_EVENTS_BUCKETS: list.pipe(z.array(z.string().regex(/^[^/:\s]+$/, 'expected bucket names, without s3:// or /'))).default([]),
  /** Object records one POST /v1/events/s3 may carry (413 beyond). */
  DETECTFN_EVENTS_MAX_RECORDS: int(1).default(100),
  /** Classes an event result of a classifier model holds, best first (detectors ignore it). */
  DETECTFN_EVENTS_TOP_K: int(1).max(MAX_TOP_K).default(DEFAULT_CLASSIFY_OPTIONS.topK),
  DETECTFN_S3_FORCE_PATH_STYLE: bool.default(false),
  /** Set: the server also consumes this SQS queue of S3 notifications (handlers/events/queue-consumer). */
  DETECTFN_SQS_QUEUE_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) SQS queue URL' }).optional(),
  /** Seconds a received message stays hidden; a heartbeat extends it every third while its batch is in hand. */
  DETECTFN_SQS_VISIBILITY_TIMEOUT_S: int(1).max(43_200).default(120),
  /** Messages per ReceiveMessage (the SQS maximum is 10). */
  DETECTFN_SQS_BATCH_SIZE: int(1).max(10).default(10),
  /** Long-poll wait per ReceiveMessage, 1-20 s (sqs-consumer refuses 0; the SQS maximum is 20). */
  DETECTFN_SQS_WAIT_S: int(1).max(20).default(20),
  /** Receive loops in parallel: more than one keeps the batcher fed while a batch finishes. */
  DETECTFN_SQS_POLLERS: int(1).max(16).default(1),
  /** Tries per model load (first included); only transient failures (S3 unreachable, 5xx, timeouts) are retried. */
  DETECTFN_LOAD_ATTEMPTS: int(1).max(20).default(4),
  /** Backoff before the first load retry, doubling up to _MAX_MS (full jitter: a random wait up to that). */
  DETECTFN_LOAD_RETRY_MS: int(0).default(1000),
  DETECTFN_LOAD_RETRY_MAX_MS: int(0).default(15_000),
  /** Model store S3 client: TCP connect limit and longest silence on an open connection, per attempt. */
  DETECTFN_S3_CONNECT_TIMEOUT_MS: int(1).default(5000),
  DETECTFN_S3_SOCKET_TIMEOUT_MS: int(1).default(30_000),
});

export type ServiceConfig = z.infer<typeof EnvSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  // Empty strings mean "unset" (docker -e FOO= and Cloud Run both produce them).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new DetectError('CONFIG_INVALID', `invalid environment: ${problems.join('; ')}`, { details: { problems } });
  }
  // Node refuses a headers timeout longer than the whole-request timeout.
  if (parsed.data.DETECTFN_HTTP_HEADERS_TIMEOUT_MS > parsed.data.DETECTFN_HTTP_RECEIVE_TIMEOUT_MS) {
    throw new DetectError('CONFIG_INVALID', `invalid environment: DETECTFN_HTTP_HEADERS_TIMEOUT_MS: must not exceed DETECTFN_HTTP_RECEIVE_TIMEOUT_MS (${parsed.data.DETECTFN_HTTP_RECEIVE_TIMEOUT_MS})`);
  }
  return parsed.data;
}
