/**
 * @module infra/engine/in-graph-feeds
 * The run-time check for inputs whose graph normalises itself (`preprocessInGraph`): such an
 * input only takes uint8 pixels, and only with the normalise options baked into the graph at
 * load. A float feed would be refused by ORT with a dtype message that does not say why, and
 * other options would be silently ignored: both are refused at the engine boundary instead.
 */
import { DetectError } from '../../core/errors/index.js';
import { planNormalize } from '../../core/normalize/index.js';
import type { EngineRunOptions } from '../../core/ports/index.js';
import type { NormalizeFeeds } from './protocol.js';

const planKey = (o: NormalizeFeeds[string] | undefined) => JSON.stringify(planNormalize(o));

export function expectInGraphFeeds(inGraph: NormalizeFeeds, normalize: EngineRunOptions['normalize']): void {
  for (const [name, baked] of Object.entries(inGraph)) {
    const given = normalize?.[name];
    if (!given) {
      throw new DetectError('INVALID_ARGUMENT', `input ${name} normalises in the model's graph (engine.preprocessInGraph): send uint8 [B,H,W,3] pixels with the normalize run option, not a preprocessed tensor`);
    }
    if (planKey(given) !== planKey(baked)) {
      throw new DetectError('INVALID_ARGUMENT', `input ${name}: normalize options ${JSON.stringify(given)} differ from those in the model's graph ${JSON.stringify(baked)} (engine.preprocessInGraph)`);
    }
  }
}
