/**
 * An events-enabled detectfn server for integration tests and the events bench: the real
 * server (startServer) with the real registry, `POST /v1/events/s3` mounted, S3 on the given
 * radosgw, fresh input/output buckets. The registry is wrapped only to COUNT detect() and
 * classifyMany() calls and objects between GetObject start and the model's answer (what the
 * events path holds in memory).
 * The server's S3 client records every GetObject (`stats.gets`, "bucket/key": what was read)
 * and, when `holdGet` is given, holds a GetObject until the promise it returns settles (fault
 * tests stop the gateway while a read is held).
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { eventRoutes } from '../../handlers/events/deliveries.js';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import type { ServiceConfig } from '../../infra/config.js';
import type { Logger } from '../../infra/config.js';
import { createModelRegistry } from '../../infra/model/registry.js';
import type { ModelRegistry, ModelService } from '../../infra/model/registry.js';
import { type RadosgwConnection, s3ClientFor } from './radosgw.js';

export interface EventHarness {
  readonly server: RunningServer;
  readonly admin: S3Client;
  readonly input: string;
  readonly output: string;
  readonly stats: { detectCalls: number; classifyCalls: number; live: number; peakLive: number; gets: string[] };
  put(key: string, body: Uint8Array): Promise<void>;
  /**
   * A fresh bucket (`<input>-notified`) whose every object-created event radosgw itself pushes
   * to this server's /v1/events/s3 (an SNS-style topic with an http push-endpoint).
   */
  notifiedBucket(): Promise<string>;
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
  const stats = { detectCalls: 0, classifyCalls: 0, live: 0, peakLive: 0, gets: [] as string[] };
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
    async notifiedBucket() {
      const sns = new SNSClient({ endpoint: conn.endpoint, region: conn.region, credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey } });
      const topic = await sns.send(new CreateTopicCommand({ Name: `detectfn-${input}`, Attributes: { 'push-endpoint': `${server.url}/v1/events/s3`, persistent: 'false' } }));
      const bucket = `${input}-notified`;
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      await admin.send(new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { TopicConfigurations: [{ Id: 'events', TopicArn: topic.TopicArn!, Events: ['s3:ObjectCreated:*'] }] },
      }));
      return bucket;
    },
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

/** POST an event body to the harness's /v1/events/s3. */
export const postEvent = (h: EventHarness, body: unknown): Promise<Response> =>
  fetch(`${h.server.url}/v1/events/s3`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

/** An AWS S3 notification of PUTs, keys form-URL-encoded as AWS sends them. */
export const s3PutEvent = (keys: readonly string[], bucket: string) => ({
  Records: keys.map((key) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+'), size: 1 } } })),
});

/** Polls `fn` every 100 ms until it gives a value; throws naming `what` after `ms`. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function countingRegistry(inner: ModelRegistry, stats: EventHarness['stats']): ModelRegistry {
  // A model answer ends what the events path holds for that object (counted live since its GetObject).
  const counted = <A extends unknown[], R>(calls: 'detectCalls' | 'classifyCalls', fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    stats[calls] += 1;
    try {
      return await fn(...a);
    } finally {
      stats.live = Math.max(0, stats.live - 1);
    }
  };
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
        classifyMany: counted('classifyCalls', (images, o, c) => m.classifyMany(images, o, c)),
        classifyTensor: (t, o, c) => m.classifyTensor(t, o, c),
        close: () => m.close(),
        detect: counted('detectCalls', (bytes, o, c) => m.detect(bytes, o, c)),
      };
      wrapped.set(m, w);
    }
    return w;
  };
  return { ...inner, get: (name) => wrap(inner.get(name)), list: () => inner.list().map(wrap), names: () => inner.names(), status: () => inner.status(), allReady: () => inner.allReady(), whenReady: () => inner.whenReady(), close: () => inner.close() };
}
