/**
 * @module infra/events/processor
 * `createEventProcessor`: records in, one outcome per record out. Two bounds: `concurrency`
 * permits around download + detect (the objects in memory; a burst of 1,000 events holds at
 * most that many images), and 4x as many records in flight overall (HEADs and result writes,
 * which hold no image), so S3 latency overlaps inference instead of starving the batcher.
 */
import { expectInteger } from '../../core/validate/index.js';
import { silentLogger } from '../log/index.js';
import { createKeyLock } from './key-lock.js';
import { processRecord, type RecordContext } from './process-record.js';
import { createRetrier } from './retry.js';
import { createSemaphore } from './semaphore.js';
import type { EventProcessor, EventProcessorOptions, RecordOutcome } from './types.js';

export const DEFAULT_EVENT_CONCURRENCY = 8;
export const DEFAULT_MAX_OBJECT_BYTES = 20 * 1024 ** 2;

export function createEventProcessor(options: EventProcessorOptions): EventProcessor {
  const concurrency = expectInteger('concurrency', options.concurrency ?? DEFAULT_EVENT_CONCURRENCY, 1, 1024);
  const maxObjectBytes = expectInteger('maxObjectBytes', options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES, 1);
  const logger = options.logger ?? silentLogger();
  const opts = { ...options, logger, maxObjectBytes, now: options.now ?? (() => new Date()) };
  const permits = createSemaphore(concurrency);
  const inFlight = createSemaphore(concurrency * 4);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retry = createRetrier(options.retries, logger, sleep);
  const keys = createKeyLock();
  const rules = { allowed: options.buckets?.length ? new Set(options.buckets) : undefined, output: options.output, errors: options.errors };

  return {
    async process(records, run = {}) {
      const log = run.logger ?? logger;
      const ctx: RecordContext = { opts, logger: log, permits, keys, rules, retry, signal: run.signal };
      return Promise.all(
        records.map((rec) =>
          inFlight.run(async (): Promise<RecordOutcome> => {
            const outcome = await processRecord(rec, ctx);
            if (outcome.status !== 'cancelled') options.metrics?.recordEvent(outcome.status);
            if (outcome.status === 'processed') log.info({ messageId: rec.messageId, bucket: rec.bucket, key: rec.key, resultKey: outcome.resultKey, detections: outcome.detections, topClass: outcome.topClass }, 'event: object processed');
            run.onOutcome?.(outcome);
            return outcome;
          }),
        ),
      );
    },
    inMemory: () => permits.active(),
  };
}
