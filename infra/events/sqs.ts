/**
 * @module infra/events/sqs
 * Consuming one SQS queue: bbc's sqs-consumer behind a small interface (`createQueueConsumer`),
 * and the SQS client it polls with (`createSqsClient`).
 *
 * - Each poller long-polls (ReceiveMessage: up to `batchSize` messages, `waitTimeSeconds`,
 *   `visibilityTimeoutS`), hands the batch to `handleBatch` and deletes (DeleteMessageBatch)
 *   exactly the ids it returns. The rest become visible again after the visibility timeout, and
 *   the queue's redrive policy decides when they go to the DLQ. A throwing handler deletes
 *   nothing.
 * - While a batch is in hand, sqs-consumer's heartbeat extends its visibility
 *   (ChangeMessageVisibilityBatch every third of the timeout), so a batch that outlives the
 *   timeout is not delivered a second time.
 * - `stop()`: no new receives; a poller idle in its long poll is aborted, one handling a batch
 *   finishes it (and its deletes) first; stop() waits for that at most one visibility timeout.
 * - Receive errors back off (1 s doubling to 30 s) instead of spinning.
 */
import { Consumer } from 'sqs-consumer';
import { type Message, SQSClient } from '@aws-sdk/client-sqs';
import { expectInteger } from '../../core/errors.js';
import { type Logger, silentLogger } from '../config.js';

export interface QueueMessage {
  readonly id: string;
  readonly body: string | undefined;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number | undefined;
}

/** Returns the ids of the messages to delete. */
export type BatchHandler = (messages: readonly QueueMessage[]) => Promise<readonly string[]>;

export interface QueueConsumerOptions {
  readonly queueUrl: string;
  readonly handleBatch: BatchHandler;
  /** @default createSqsClient({ queueUrl }) */
  readonly sqs?: SQSClient;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 20 */
  readonly waitTimeSeconds?: number;
  /** @default 120 */
  readonly visibilityTimeoutS?: number;
  /** Independent receive loops. @default 1 */
  readonly pollers?: number;
  readonly logger?: Logger;
}

export interface QueueConsumer {
  start(): void;
  /** Resolves when every poller has stopped and in-flight batches are done. Idempotent. */
  stop(): Promise<void>;
  isRunning(): boolean;
  /** Batches being handled now. */
  busy(): number;
}

export function createQueueConsumer(o: QueueConsumerOptions): QueueConsumer {
  const batchSize = expectInteger('batchSize', o.batchSize ?? 10, 1, 10);
  const waitTimeSeconds = expectInteger('waitTimeSeconds', o.waitTimeSeconds ?? 20, 1, 20);
  const visibilityTimeout = expectInteger('visibilityTimeoutS', o.visibilityTimeoutS ?? 120, 1, 43_200);
  const pollers = expectInteger('pollers', o.pollers ?? 1, 1, 64);
  const logger = o.logger ?? silentLogger();
  const sqs = o.sqs ?? createSqsClient({ queueUrl: o.queueUrl });
  const loops = Array.from({ length: pollers }, () => createLoop());
  let stopping: Promise<void> | undefined;
  let running = false;

  function createLoop() {
    const state = { busy: false, backoffMs: 0 };
    const consumer = Consumer.create({
      queueUrl: o.queueUrl, sqs, batchSize, waitTimeSeconds, visibilityTimeout,
      // Seconds; fractions are fine (a timer). Three beats per timeout survive one lost call.
      heartbeatInterval: visibilityTimeout / 3,
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      pollingCompleteWaitTimeMs: visibilityTimeout * 1000,
      // Busy from the moment a receive has returned: a stop() between the response and the
      // handler must not abort (that would abort the batch's deletes too).
      postReceiveMessageCallback: async () => void (state.busy = true),
      async handleMessageBatch(messages: Message[]) {
        state.busy = true;
        const batch = messages.map((m): QueueMessage => ({ id: m.MessageId ?? '', body: m.Body, receiveCount: Number(m.Attributes?.ApproximateReceiveCount) || undefined }));
        const remove = new Set(await o.handleBatch(batch));
        for (const m of batch) logger.info({ messageId: m.id, receiveCount: m.receiveCount, delete: remove.has(m.id) }, remove.has(m.id) ? 'sqs: message done' : 'sqs: message left for redelivery');
        return messages.filter((m) => remove.has(m.MessageId ?? ''));
      },
    });
    const settle = () => {
      state.busy = false;
      if (state.backoffMs > 0) consumer.updateOption('pollingWaitTimeMs', (state.backoffMs = 0));
    };
    consumer.on('response_processed', settle);
    consumer.on('empty', settle);
    consumer.on('error', (err, messages) => {
      const ids = [messages ?? []].flat().map((m) => m.MessageId);
      // sqs-consumer reports a failed heartbeat through 'error' too; the batch goes on.
      if (/changing visibility timeout/i.test(err.message)) return logger.warn({ err, messageIds: ids }, 'sqs: visibility heartbeat failed; the batch may be redelivered');
      if (ids.length > 0) return logger.error({ err, messageIds: ids }, 'sqs: batch failed; its messages stay for redelivery');
      // stop() aborts idle long polls: that rejection is expected.
      if (stopping) return logger.debug({ err: err.message }, 'sqs: receive ended by stop');
      state.backoffMs = Math.min(30_000, Math.max(1000, state.backoffMs * 2));
      consumer.updateOption('pollingWaitTimeMs', state.backoffMs);
      logger.error({ err, retryInMs: state.backoffMs }, 'sqs: receive failed');
    });
    return { consumer, state };
  }

  return {
    start() {
      if (running || stopping) return;
      running = true;
      logger.info({ queueUrl: o.queueUrl, pollers, batchSize, waitTimeSeconds, visibilityTimeout }, 'sqs: consuming');
      for (const l of loops) l.consumer.start();
    },
    stop() {
      if (!running) return (stopping ??= Promise.resolve());
      return (stopping ??= Promise.all(
        loops.map(({ consumer, state }) => new Promise<void>((resolve) => {
          consumer.once('stopped', () => resolve());
          // Aborting a batch in flight would also abort its deletes: only idle polls are cut.
          consumer.stop({ abort: !state.busy });
        })),
      ).then(() => {
        running = false;
        logger.info({ queueUrl: o.queueUrl }, 'sqs: stopped');
      }));
    },
    isRunning: () => running,
    busy: () => loops.filter((l) => l.state.busy).length,
  };
}

export interface SqsClientOptions {
  readonly queueUrl: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * An SQS client for one queue URL. Requests go to the queue URL's own host
 * (`useQueueUrlAsEndpoint`), so a VPC endpoint or a local stand-in needs no extra setting; the
 * region comes from the URL when it is an AWS one (signatures are per region), else from
 * AWS_REGION. Credentials: the SDK's default chain (IRSA on EKS) unless given.
 */
export function createSqsClient(options: SqsClientOptions, env: NodeJS.ProcessEnv = process.env): SQSClient {
  const region = options.region ?? regionOfQueueUrl(options.queueUrl) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // A non-AWS host (VPC endpoint DNS, a local stand-in) is also the client's endpoint, so the
  // SDK does not warn on every request that the queue URL differs from the resolved endpoint.
  const custom = regionOfQueueUrl(options.queueUrl) === undefined;
  return new SQSClient({
    region,
    useQueueUrlAsEndpoint: true,
    ...(custom ? { endpoint: new URL(options.queueUrl).origin } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
  });
}

/** "https://sqs.eu-west-1.amazonaws.com/123/q" -> "eu-west-1"; undefined for other hosts. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  return /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(queueUrl).hostname)?.[1];
}
