/**
 * An events-enabled detectfn server for integration tests and the events bench: the real
 * server (startServer) with the real registry, `POST /v1/events/s3` mounted, S3 on the given
 * radosgw, fresh input/output buckets. The registry is wrapped only to COUNT detect() calls
 * and objects between GetObject start and detect end (what the events path holds in memory).
 * The server's S3 client records every GetObject (`stats.gets`, "bucket/key": what was read)
 * and, when `holdGet` is given, holds a GetObject until the promise it returns settles (fault
 * tests stop the gateway while a read is held).
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { eventRoutes } from '../../handlers/http/events.js';
import { startServer, type RunningServer } from '../../handlers/serve/index.js';
import type { ServiceConfig } from '../../infra/config/index.js';
import type { Logger } from '../../infra/log/index.js';
import { createModelRegistry } from '../../infra/runtime/index.js';
import type { ModelRegistry, ModelService } from '../../infra/runtime/model-service.js';
import { s3ClientFor, type RadosgwConnection } from './radosgw.js';

export interface EventHarness {
  readonly server: RunningServer;
  readonly admin: S3Client;
  readonly input: string;
  readonly output: string;
  readonly stats: { detectCalls: number; live: number; peakLive: number; gets: string[] };
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's text, or undefined when it does not exist. */
  getText(bucket: string, key: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Server config; a function gets the fresh bucket names (DETECTFN_EVENTS_BUCKETS needs them). */
  readonly config?: Partial<ServiceConfig> | ((buckets: { input: string; output: string }) => Partial<ServiceConfig>);
  readonly holdGet?: (bucket: string, key: string) => Promise<void> | undefined;
}

export async function startEventHarness(conn: RadosgwConnection, models: string[], logger: Logger, options: HarnessOptions = {}): Promise<EventHarness> {
  const admin = s3ClientFor(conn);
  const tag = randomBytes(3).toString('hex');
  const [input, output] = [`ev-in-${tag}`, `ev-out-${tag}`];
  for (const Bucket of [input, output]) await admin.send(new CreateBucketCommand({ Bucket }));
  const stats = { detectCalls: 0, live: 0, peakLive: 0, gets: [] as string[] };
  const config = typeof options.config === 'function' ? options.config({ input, output }) : (options.config ?? {});
  const client = s3ClientFor(conn);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') {
        const { Bucket, Key } = args.input as { Bucket: string; Key: string };
        stats.gets.push(`${Bucket}/${Key}`);
        await options.holdGet?.(Bucket, Key);
        stats.peakLive = Math.max(stats.peakLive, ++stats.live);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countGets' },
  );
  const server = await startServer({
    env: {}, logger,
    config: { HOST: '127.0.0.1', PORT: 0, DETECTFN_MODELS: models, DETECTFN_EVENTS_OUTPUT: `s3://${output}/results/`, ...config },
    createRegistry: (o) => countingRegistry(createModelRegistry(o), stats),
    app: { extraRoutes: [eventRoutes({ s3Client: () => client })] },
  });
  await server.ready;
  return {
    server, admin, input, output, stats,
    put: async (key, body) => void (await admin.send(new PutObjectCommand({ Bucket: input, Key: key, Body: body }))),
    async getText(bucket, key) {
      try {
        return await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    close: () => server.close(),
  };
}

function countingRegistry(inner: ModelRegistry, stats: EventHarness['stats']): ModelRegistry {
  const wrapped = new Map<ModelService, ModelService>();
  const wrap = (m: ModelService): ModelService => {
    let w = wrapped.get(m);
    if (!w) {
      w = {
        describe: () => m.describe(),
        health: () => m.health(),
        stats: () => m.stats(),
        detectTensor: (t, o, c) => m.detectTensor(t, o, c),
        preprocess: (b, c) => m.preprocess(b, c),
        detectMany: (images, o, c) => m.detectMany(images, o, c),
        classifyMany: (images, o, c) => m.classifyMany(images, o, c),
        classifyTensor: (t, o, c) => m.classifyTensor(t, o, c),
        close: () => m.close(),
        async detect(bytes, options, ctx) {
          stats.detectCalls += 1;
          try {
            return await m.detect(bytes, options, ctx);
          } finally {
            stats.live = Math.max(0, stats.live - 1);
          }
        },
      };
      wrapped.set(m, w);
    }
    return w;
  };
  return { ...inner, get: (name) => wrap(inner.get(name)), list: () => inner.list().map(wrap), names: () => inner.names(), status: () => inner.status(), allReady: () => inner.allReady(), whenReady: () => inner.whenReady(), close: () => inner.close() };
}
