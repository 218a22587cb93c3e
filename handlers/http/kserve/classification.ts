/**
 * @module handlers/http/kserve/classification
 * A classifier's KServe outputs. By default its output tensor under the model's output name:
 * FP32 [B, classes], the class probabilities (softmax applied where the model answers logits).
 * With Triton's classification extension (`classification` or `class_count`: N, on the request's
 * or the output's parameters) the output instead is BYTES [B, N], the top N per item as
 * Triton's strings "score:index:label", best first, score printed as C++'s std::to_string
 * does (6 decimals). Detectors keep refusing the extension (params.ts).
 */
import { DetectError } from '../../../core/errors/index.js';
import { invalidParameterError, isInteger } from '../../../core/validate/index.js';
import type { ClassifyResult, ModelDescription } from '../../../infra/runtime/model-service.js';
import { encodeBytesElements } from './bytes-elements.js';
import { BINARY_DATA, type EncodableOutput, type KsInferRequest, type KsParameters } from './wire-types.js';

export const CLASSIFICATION_KEYS = ['classification', 'class_count'] as const;

/** The class count asked for in `params` (either key), validated against the model's classes. */
function countIn(params: KsParameters | undefined, at: string, classes: number): number | undefined {
  for (const key of CLASSIFICATION_KEYS) {
    const v = params?.[key];
    if (v === undefined) continue;
    if (!isInteger(v) || v < 1 || v > classes) throw invalidParameterError(`${at}.${key}`, `integer between 1 and ${classes} (the model's classes)`, v);
    return v;
  }
  return undefined;
}

/** Triton's "score:index:label" element. */
export const tritonClassString = (score: number, classId: number, label: string) => `${score.toFixed(6)}:${classId}:${label}`;

/** The outputs a request asked for; every item's result must hold all classes (topK = classes). */
export function classifyOutputs(results: readonly ClassifyResult[], d: ModelDescription, request: KsInferRequest, binaryDefault: boolean): EncodableOutput[] {
  const classes = d.labels.length;
  const b = results.length;
  const all = countIn(request.parameters, 'parameters', classes);
  const wanted = request.outputs && request.outputs.length > 0 ? request.outputs : [{ name: d.outputName }];
  return wanted.map((o, i) => {
    if (o.name !== d.outputName) {
      throw new DetectError('INVALID_ARGUMENT', `unknown output '${o.name}'; classifier ${d.name} has ${d.outputName} (class scores; add parameters.classification N for Triton's top-N strings)`);
    }
    const flag = o.parameters?.[BINARY_DATA];
    const binary = typeof flag === 'boolean' ? flag : binaryDefault;
    const n = countIn(o.parameters, `outputs[${i}].parameters`, classes) ?? all;
    if (n === undefined) {
      const values = new Float32Array(b * classes);
      results.forEach((r, item) => r.classes.forEach((c) => (values[item * classes + c.classId] = c.score)));
      return { name: o.name, datatype: 'FP32', shape: [b, classes], values, binary };
    }
    const text = results.flatMap((r) => r.classes.slice(0, n).map((c) => tritonClassString(c.score, c.classId, c.label)));
    const values = encodeBytesElements(text.map((t) => new TextEncoder().encode(t)));
    return { name: o.name, datatype: 'BYTES', shape: [b, n], values, text, binary };
  });
}
