/**
 * @module handlers/http/kserve/run-inputs
 * One request input -> one result per batch item. BYTES: each element is an encoded image
 * (`run.images`: detectMany or classifyMany). A numeric tensor [N,C,H,W] in the model's input
 * datatype and size: each item is preprocessed already (`run.tensor`: detectTensor, boxes in
 * input pixels, or classifyTensor).
 * Either way the request's items are admitted to the batcher all or none and ride in the same
 * micro-batches.
 */
import { DetectError } from '../../../core/errors/index.js';
import type { Tensor, TensorDType } from '../../../core/ports/tensor.js';
import type { ModelService } from '../../../infra/runtime/model-service.js';
import { kserveDatatype } from './datatypes.js';
import { IMAGE_INPUT } from './metadata.js';
import type { DecodedInput } from './wire-types.js';

/** Most batch items one request may carry. */
export const MAX_BATCH_ITEMS = 64;

function inputTensor(input: DecodedInput, model: ModelService): Tensor {
  const d = model.describe();
  const expected = kserveDatatype(d.inputDtype);
  const want = [3, d.inputSize.height, d.inputSize.width];
  const [n, ...chw] = input.shape;
  if (input.datatype !== expected || chw.length !== 3 || chw.some((v, i) => v !== want[i])) {
    throw new DetectError(
      'INVALID_ARGUMENT',
      `input '${input.name}': expected BYTES images or ${expected} [N,${want.join(',')}], got ${input.datatype} [${input.shape.join(',')}]`,
    );
  }
  return { dtype: d.inputDtype as TensorDType, dims: [n!, ...want], data: input.values as Float32Array | Uint16Array };
}

/** The model calls for encoded images and for a preprocessed tensor (detect* or classify*). */
export interface InputCalls<R> {
  images(images: Uint8Array[]): Promise<R[]>;
  tensor(input: Tensor): Promise<R[]>;
}

export function runInputs<R>(inputs: readonly DecodedInput[], model: ModelService, run: InputCalls<R>): Promise<R[]> {
  if (inputs.length !== 1) {
    throw new DetectError('INVALID_ARGUMENT', `expected exactly one input (BYTES images or a preprocessed tensor), got ${inputs.length}`);
  }
  const input = inputs[0];
  const d = model.describe();
  if (input.name !== IMAGE_INPUT && (input.name !== d.inputName || !d.tensorInput)) {
    const images = `'${IMAGE_INPUT}' (BYTES, one encoded image per element)`;
    throw new DetectError(
      'INVALID_ARGUMENT',
      d.tensorInput
        ? `input '${input.name}' is not an input of model ${d.name}; send ${images} or '${d.inputName}' (${kserveDatatype(d.inputDtype)} [N,3,${d.inputSize.height},${d.inputSize.width}])`
        : `input '${input.name}' is not an input of model ${d.name}; send ${images}: it normalises in its graph (engine.preprocessInGraph) and takes no preprocessed tensor`,
    );
  }
  const count = input.datatype === 'BYTES' ? (input.values as Uint8Array[]).length : (input.shape[0] ?? 0);
  if (count < 1 || count > MAX_BATCH_ITEMS) {
    throw new DetectError('INVALID_ARGUMENT', `input '${input.name}': batch of ${count} items; expected 1 to ${MAX_BATCH_ITEMS}`);
  }
  if (input.datatype === 'BYTES') return run.images(input.values as Uint8Array[]);
  return run.tensor(inputTensor(input, model));
}
