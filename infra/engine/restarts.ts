/**
 * @module infra/engine/restarts
 * Replaces dead engine workers. A crash starts a replacement at once; a replacement that fails
 * to start (the model file is gone, out of memory) is retried with capped exponential backoff
 * (infra/store's backoffDelay) for as long as the engine is open, one timer for all missing
 * workers. It remembers the last failure and when the next attempt is, which is what the
 * engine's health and its ENGINE_UNAVAILABLE errors (Retry-After) report.
 */
import type { Clock, TimerHandle } from '../../core/types.js';
import { backoffDelay } from '../store/store.js';
import type { EngineLogger, RestartBackoff } from './engine.js';
import type { WorkerClient } from './worker-client.js';

export interface RestartsConfig {
  /** Spawns one worker on the provider already chosen. */
  readonly spawn: () => WorkerClient;
  /** Workers wanted minus workers live (starting ones are subtracted here). */
  readonly missing: () => number;
  /** A replacement is ready: it joins the pool. */
  readonly started: (client: WorkerClient) => void;
  /** A replacement failed to start: the pool checks whether any worker is left. */
  readonly failed: () => void;
  readonly backoff: RestartBackoff;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: EngineLogger;
}

export interface RestartsState {
  /** Replacements being started right now. */
  readonly starting: number;
  readonly lastError: string | undefined;
  /** Milliseconds to the next attempt, when one is scheduled. */
  readonly nextAttemptInMs: number | undefined;
}

export interface Restarts {
  /** Starts the missing workers now, unless an attempt is already scheduled (it will start them). */
  replenish(): void;
  state(): RestartsState;
  /** Cancels the scheduled attempt and stops replacements still starting. */
  close(): Promise<void>;
}

/** "Equal jitter": half the delay fixed, half random, so retries neither stampede nor spin. */
const equalJitter = () => 0.5 + Math.random() / 2;

export function createRestarts(cfg: RestartsConfig): Restarts {
  const starting = new Set<WorkerClient>();
  let timer: TimerHandle | undefined;
  let nextAt: number | undefined;
  let retry = 0;
  let lastError: string | undefined;
  let closed = false;

  const attempt = () => {
    timer = undefined;
    nextAt = undefined;
    for (let n = cfg.missing() - starting.size; n > 0 && !closed; n--) start();
  };

  const schedule = (error: string) => {
    if (timer !== undefined) return; // one timer restarts every missing worker
    const delayMs = backoffDelay(retry++, cfg.backoff, equalJitter);
    nextAt = cfg.clock.now() + delayMs;
    timer = cfg.clock.setTimeout(attempt, delayMs);
    cfg.logger.error({ error, attempt: retry, retryInMs: delayMs }, 'engine worker replacement failed');
  };

  const start = () => {
    const client = cfg.spawn();
    starting.add(client);
    client.ready.then(
      () => {
        starting.delete(client);
        if (closed) return void client.close(cfg.closeTimeoutMs);
        retry = 0;
        lastError = undefined;
        cfg.started(client);
      },
      (err: Error) => {
        starting.delete(client);
        if (closed) return;
        lastError = err.message;
        schedule(err.message);
        cfg.failed();
      },
    );
  };

  return {
    replenish() {
      if (!closed && timer === undefined) attempt();
    },
    state: () => ({
      starting: starting.size,
      lastError,
      nextAttemptInMs: nextAt === undefined ? undefined : Math.max(0, nextAt - cfg.clock.now()),
    }),
    async close() {
      closed = true;
      if (timer !== undefined) cfg.clock.clearTimeout(timer);
      timer = undefined;
      nextAt = undefined;
      await Promise.all([...starting].map((c) => c.close(cfg.closeTimeoutMs)));
    },
  };
}
