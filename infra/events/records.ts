/**
 * @module infra/events/records
 * What the processor writes. A result (`<output prefix><key>.json`) carries the model, the
 * input it was computed from and the detections (a classifier's result has `classes`, top-k
 * best first, in their place); its S3 user metadata repeats the input ETag
 * and model version so "already done?" is one HEAD, without reading the body. An error record
 * (`<errors prefix><key>.json`) says which input failed, how, after how many attempts, when.
 */
import type { ClassifyResult, DetectResult } from '../runtime/model-service.js';

export interface InputRef {
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string | undefined;
  readonly versionId: string | undefined;
  readonly size?: number | undefined;
  /** The event's sequencer (orders events for one key; absent for a backfill listing). */
  readonly sequencer?: string | undefined;
}

interface ResultFields {
  readonly model: { readonly name: string; readonly version: string };
  readonly input: InputRef;
  readonly image: DetectResult['image'];
  /** Milliseconds: the model's stages plus `download` (GET of the input). */
  readonly timings: DetectResult['timings'] & { readonly download: number };
  readonly createdAt: string;
}

/** A detector's result (model task `detect`). */
export interface DetectionRecord extends ResultFields {
  readonly detections: DetectResult['detections'];
}

/** A classifier's result (model task `classify`): the top-k classes, best first. */
export interface ClassificationRecord extends ResultFields {
  readonly classes: ClassifyResult['classes'];
}

export type ResultRecord = DetectionRecord | ClassificationRecord;

export interface ErrorRecord {
  readonly input: InputRef;
  readonly model: string | undefined;
  readonly code: string;
  readonly message: string;
  /** Attempts of the operation that failed (S3 operations are retried; detection is not). */
  readonly attempts: number;
  readonly failedAt: string;
}

/** S3 user-metadata keys (sent as x-amz-meta-*; S3 lower-cases them). */
export const META = Object.freeze({
  inputETag: 'detectfn-input-etag', model: 'detectfn-model', version: 'detectfn-model-version',
  inputVersionId: 'detectfn-input-version-id', sequencer: 'detectfn-sequencer',
});

/**
 * The input's versionId and the event's sequencer, when known, for infra/events/ordering:
 * results and error records both carry them. Metadata travels as HTTP headers: keep it ASCII.
 */
export function orderMetadata(order: Partial<Pick<InputRef, 'versionId' | 'sequencer'>>): Record<string, string> {
  const meta: Record<string, string> = {};
  if (order.versionId) meta[META.inputVersionId] = encodeURIComponent(order.versionId);
  if (order.sequencer) meta[META.sequencer] = encodeURIComponent(order.sequencer);
  return meta;
}

export function resultMetadata(model: string, version: string, inputETag: string, order: Partial<Pick<InputRef, 'versionId' | 'sequencer'>> = {}): Record<string, string> {
  return { [META.inputETag]: encodeURIComponent(inputETag), [META.model]: encodeURIComponent(model), [META.version]: encodeURIComponent(version), ...orderMetadata(order) };
}

/** True when a stored result was computed from this input version by this model version. */
export function isCurrent(meta: Record<string, string> | undefined, model: string, version: string, inputETag: string): boolean {
  if (!meta) return false;
  const want = resultMetadata(model, version, inputETag);
  return Object.entries(want).every(([k, v]) => meta[k] === v);
}

/** For stores without user metadata (local files): the same fields, read from the result JSON. */
export function metadataFromResultBody(body: string): Record<string, string> | undefined {
  try {
    const r = JSON.parse(body) as Partial<ResultRecord>;
    if (!r.model || !r.input?.eTag) return undefined;
    return resultMetadata(r.model.name, r.model.version, r.input.eTag, r.input);
  } catch {
    return undefined;
  }
}
