/**
 * @module handlers/http/detect-params
 * Detect parameters from the query string and JSON/multipart fields, named as on the wire
 * (snake_case: conf, iou, max_det, max_nms, classes, agnostic, format, render). Unknown names
 * are refused rather than ignored, so a typo (`maxdet=5`) is a 400, not a silent default.
 * Body fields win over query parameters of the same name.
 */
import { parseDetectOptions, type DetectOptions } from '../../core/options/index.js';
import { expectOneOf, invalidParameterError } from '../../core/validate/index.js';

export const RESPONSE_FORMATS = ['json', 'padded'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

export interface DetectParams {
  readonly options: DetectOptions;
  /** @default 'json' */
  readonly format: ResponseFormat;
  /** Answer with the image as JPEG, boxes drawn. @default false */
  readonly render: boolean;
}

/** Wire name -> DetectOptions field. */
const OPTION_NAMES: Readonly<Record<string, keyof DetectOptions>> = {
  conf: 'conf',
  iou: 'iou',
  max_det: 'maxDet',
  maxDet: 'maxDet',
  max_nms: 'maxNms',
  maxNms: 'maxNms',
  classes: 'classes',
  agnostic: 'agnostic',
};
const OTHER_NAMES = new Set(['format', 'render']);

function toBool(name: string, v: unknown): boolean {
  if (v === true || v === 'true' || v === '1' || v === '') return true;
  if (v === false || v === 'false' || v === '0' || v === undefined) return false;
  throw invalidParameterError(name, 'boolean (true, false, 1, 0)', v);
}

export function parseDetectParams(fields: Record<string, unknown>, base: DetectOptions): DetectParams {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    // Own keys only: `__proto__` or `constructor` must not find Object.prototype's members.
    const field = Object.hasOwn(OPTION_NAMES, name) ? OPTION_NAMES[name] : undefined;
    if (field !== undefined) raw[field] = value;
    else if (!OTHER_NAMES.has(name)) {
      throw invalidParameterError('parameter name', `one of ${[...Object.keys(OPTION_NAMES), ...OTHER_NAMES].join(', ')}`, name);
    }
  }
  return {
    options: parseDetectOptions(raw, base),
    format: fields.format === undefined ? 'json' : expectOneOf('format', fields.format, RESPONSE_FORMATS),
    render: toBool('render', fields.render),
  };
}
