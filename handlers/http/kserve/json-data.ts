/**
 * @module handlers/http/kserve/json-data
 * Tensor data given as JSON: nested or flat row-major arrays. Numbers for numeric datatypes;
 * for BYTES (encoded images) each element is base64 text, or `{"b64": "..."}` as KServe's
 * own server accepts, since raw image bytes cannot travel in a JSON string.
 */
import { DetectError } from '../../../core/errors/index.js';
import { invalidParameterError } from '../../../core/validate/index.js';
import { decodeBase64Image } from '../base64.js';
import { isNumericDatatype, NUMERIC_DATATYPES } from './datatypes.js';
import type { DecodedInput, KsRequestInput } from './wire-types.js';

/** Deepest array nesting accepted in `data`; real tensors have a rank of a few. */
export const MAX_DATA_DEPTH = 32;

/**
 * Row-major elements of `data` (nesting need not match the shape exactly: flat, or nested
 * like the shape, are both common), at most MAX_DATA_DEPTH arrays deep. Iterative, so
 * `[[[[...]]]]` 100,000 deep is a 400, not a stack overflow and a 500.
 */
function flatten(data: unknown, name: string, maxDepth = MAX_DATA_DEPTH): unknown[] {
  const out: unknown[] = [];
  const stack: { items: readonly unknown[]; at: number }[] = [];
  let v: unknown = data;
  for (;;) {
    if (Array.isArray(v)) {
      if (stack.length === maxDepth) {
        throw new DetectError('INVALID_ARGUMENT', `input '${name}': data is nested more than ${maxDepth} arrays deep`);
      }
      stack.push({ items: v, at: 0 });
    } else out.push(v);
    let top = stack.at(-1);
    while (top !== undefined && top.at === top.items.length) {
      stack.pop();
      top = stack.at(-1);
    }
    if (top === undefined) return out;
    v = top.items[top.at++];
  }
}

export function decodeJsonData(input: KsRequestInput, count: number): DecodedInput['values'] {
  const { name, datatype } = input;
  if (input.data === undefined) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}' has neither data nor a binary_data_size parameter`);
  }
  const flat = flatten(input.data, name);
  if (flat.length !== count) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}': shape [${input.shape.join(',')}] needs ${count} elements but data has ${flat.length}`);
  }
  if (datatype === 'BYTES') {
    return flat.map((el, i) => {
      const text = typeof el === 'object' && el !== null && 'b64' in el ? (el as { b64: unknown }).b64 : el;
      return decodeBase64Image(text, `inputs['${name}'].data[${i}]`);
    });
  }
  if (!isNumericDatatype(datatype)) throw new DetectError('INVALID_ARGUMENT', `input '${name}': unsupported datatype ${datatype}`);
  const bad = flat.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) throw invalidParameterError(`inputs['${name}'].data[${bad}]`, `finite number (${datatype})`, flat[bad]);
  return NUMERIC_DATATYPES[datatype].from(flat as number[]);
}
