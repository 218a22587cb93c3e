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

function flatten(v: unknown, out: unknown[]): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

export function decodeJsonData(input: KsRequestInput, count: number): DecodedInput['values'] {
  const { name, datatype } = input;
  if (input.data === undefined) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}' has neither data nor a binary_data_size parameter`);
  }
  const flat = flatten(input.data, []);
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
