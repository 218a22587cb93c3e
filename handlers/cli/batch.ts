/**
 * @module handlers/cli/batch
 * `detectfn batch INPUT --out OUT [--errors ERR] [--model M] [--concurrency N]
 * [--max-object-bytes B] [--top-k K]`: the backfill. INPUT and OUT are s3://bucket/prefix or
 * directories. The model may be a detector or a classifier (its results hold the top --top-k
 * classes, default 5, as S3 events write them).
 *
 * It lists INPUT (paginated) and runs every object through the same event processor as S3
 * events (infra/events/processor), so a rerun skips what is done (same input ETag + model
 * version) and failures leave error records under --errors (default `_errors/` under OUT).
 * SIGINT stops starting new objects, lets in-flight ones finish (a result is one PutObject or one
 * rename: never partial), prints the summary and exits 1; a second SIGINT exits at once (130).
 * Exit 1 if any object failed. Progress goes to stderr: a bar on a TTY, otherwise a plain line
 * every 2 s, so a CI log keeps a readable trail; the summary goes to stdout as JSON.
 */
import { createEventProcessor, DEFAULT_EVENT_CONCURRENCY, DEFAULT_MAX_OBJECT_BYTES, type EventRecord } from '../../infra/events/processor.js';
import { defaultErrorsLocation, type Location, parseLocation } from '../../infra/events/records.js';
import { lazyStores, openDestination } from '../../infra/events/stores.js';
import { createS3Client } from '../../infra/store/s3.js';
import { resolveModelPaths } from '../serve.js';
import { asUsage, classifyOptionFlags, cliLogger, integerFlag, parseCommand, requiredFlag, stringFlag, UsageError } from './cli.js';
import { createProgress, openModel } from './images.js';

/** Off a TTY, one progress line at most this often. */
const PLAIN_PROGRESS_MS = 2000;

export const BATCH_FLAGS = {
  out: { type: 'string', short: 'o' },
  errors: { type: 'string' },
  model: { type: 'string', short: 'm' },
  concurrency: { type: 'string', short: 'c' },
  'max-object-bytes': { type: 'string' },
  'top-k': { type: 'string', short: 'k' },
} as const;

export async function batchCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, BATCH_FLAGS);
  if (positionals.length !== 1) throw new UsageError('batch takes exactly one INPUT (s3://bucket/prefix or a directory)');
  const input = asUsage(() => parseLocation(positionals[0]!, 'INPUT'));
  const out = asUsage(() => parseLocation(requiredFlag(values, 'out'), '--out'));
  const errorsFlag = stringFlag(values, 'errors');
  const errLoc = errorsFlag ? asUsage(() => parseLocation(errorsFlag, '--errors')) : defaultErrorsLocation(out);
  const concurrency = integerFlag(values, 'concurrency', 1, 256, DEFAULT_EVENT_CONCURRENCY);
  const maxObjectBytes = integerFlag(values, 'max-object-bytes', 1, 2 ** 40, DEFAULT_MAX_OBJECT_BYTES);
  const classifyOptions = classifyOptionFlags(values);
  const stores = lazyStores(() => createS3Client());
  const output = openDestination(out, stores);
  const errors = openDestination(errLoc, stores);
  const source = input.kind === 's3' ? stores.s3() : stores.file();

  const records: EventRecord[] = [];
  for await (const o of source.list(input.bucket, input.prefix)) {
    if (!isOurs(input, o.key, [out, errLoc])) records.push({ bucket: input.bucket, key: o.key, eTag: o.eTag, size: o.size });
  }
  process.stderr.write(`batch: ${records.length} object(s) in ${input.uri}\n`);

  const { model, registry } = await openModel(stringFlag(values, 'model') ?? resolveModelPaths([])[0]!);
  const logger = cliLogger();
  const processor = createEventProcessor({ model: () => model, input: source, output, errors, concurrency, maxObjectBytes, classifyOptions, logger });
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\nbatch: interrupted; finishing objects in flight (Ctrl-C again to quit now)\n');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = createProgress(records.length, { label: 'batch', failures: true, plainEveryMs: PLAIN_PROGRESS_MS });
  const t0 = performance.now();
  try {
    const outcomes = await processor.process(records, { signal: stop.signal, onOutcome: (o) => progress.tick(o.status === 'failed') });
    progress.stop();
    const n = (s: string) => outcomes.filter((o) => o.status === s).length;
    const summary = { total: records.length, processed: n('processed'), skipped: n('skipped'), failed: n('failed'), notStarted: n('cancelled'), seconds: (performance.now() - t0) / 1000 };
    process.stdout.write(JSON.stringify({ ...summary, output: output.uri, errors: errors.uri }) + '\n');
    process.stderr.write(`batch: ${summary.processed} processed, ${summary.skipped} already done, ${summary.failed} failed (records in ${errors.uri}), ${summary.notStarted} not started, ${summary.seconds.toFixed(1)} s\n`);
    if (summary.notStarted > 0) throw new Error(`interrupted: ${summary.notStarted} object(s) not started; rerun the same command to resume`);
    if (summary.failed > 0) throw new Error(`${summary.failed} object(s) failed; see ${errors.uri}`);
  } finally {
    process.off('SIGINT', onSigint);
    await registry.close();
  }
}

/** A local output directory inside the input directory must not be read back as input. */
function isOurs(input: Location, key: string, outs: readonly Location[]): boolean {
  if (key.endsWith('.tmp')) return input.kind === 'file';
  return outs.some((o) => {
    if (o.kind !== input.kind) return false;
    if (o.kind === 's3') return o.bucket === input.bucket && o.prefix !== '' && key.startsWith(o.prefix);
    const full = `${input.bucket}/${key}`;
    return full.startsWith(`${o.bucket}/`);
  });
}
