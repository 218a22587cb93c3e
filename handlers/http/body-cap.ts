/**
 * @module handlers/http/body-cap
 * The DETECTFN_MAX_BODY_BYTES cap of the image routes, as a typed 413 PAYLOAD_TOO_LARGE.
 */
import { bodyLimit } from 'hono/body-limit';
import { DetectError } from '../../core/errors/index.js';
import type { AppDeps } from './types.js';

export function imageBodyCap(config: AppDeps['config']) {
  return bodyLimit({
    maxSize: config.DETECTFN_MAX_BODY_BYTES,
    onError: () => {
      throw new DetectError('PAYLOAD_TOO_LARGE', `request body exceeds ${config.DETECTFN_MAX_BODY_BYTES} bytes`, {
        details: { limit: config.DETECTFN_MAX_BODY_BYTES },
      });
    },
  });
}
