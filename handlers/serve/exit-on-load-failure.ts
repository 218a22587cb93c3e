/**
 * @module handlers/serve/exit-on-load-failure
 * A model that cannot load ends the process, loudly, in every long-running entry point
 * (dist/server.js, `detectfn serve`, `detectfn sqs`): one fatal line naming the model(s) and
 * the error, a graceful close, exit 1, so the platform restarts the service. Until then
 * /readyz shows the retries and the failure (registry.status()). dist/lambda.js logs the same
 * line and fails its init instead.
 */
import type { Logger } from '../../infra/log/index.js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';
import type { RunningServer } from './start-server.js';

/** The one fatal line: the failed model(s) with their reasons, the error, what happens next. */
export async function logLoadFailure(logger: Logger, registry: Pick<ModelRegistry, 'status'>, err: unknown, then: string): Promise<void> {
  const models = registry.status().filter((s) => s.state === 'failed');
  logger.fatal({ err, models }, `model failed to load, ${then}: ${(err as Error)?.message ?? String(err)}`);
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
}

export function exitOnLoadFailure(running: Pick<RunningServer, 'ready' | 'registry' | 'close'>, logger: Logger): void {
  running.ready.catch(async (err: unknown) => {
    await logLoadFailure(logger, running.registry, err, 'exiting');
    await running.close().catch((closeErr: unknown) => logger.error({ err: closeErr }, 'close after the load failure failed'));
    logger.flush(() => process.exit(1));
  });
}
