/**
 * @module handlers/kserve/triton
 * What a model looks like over the KServe v2 / Triton protocol, answered from what the runtime
 * already knows (ModelDescription, the registry's status, the stats recorder): server and model
 * metadata ($metadata_server_response, $metadata_model_response), and the Triton extensions'
 * views in Triton's own field naming (model_config.proto, model statistics, the repository
 * index). Plain objects and no transport, so the REST routes (rest.ts) and the gRPC RPCs
 * (handlers/grpc/inference.ts) answer from the same functions and cannot disagree.
 *
 * A model lists two ways in: `image` (BYTES, one encoded image per element) and its own input
 * tensor (preprocessed [N,3,H,W]); a request sends exactly one of them. A model that normalises
 * in its graph (`engine.preprocessInGraph`) lists `image` only: no float tensor reaches it. A
 * detector answers the EfficientNMS outputs TensorRT-style clients expect; a classifier its
 * output tensor of class probabilities.
 */
import type { BatchSizeStats, Duration, ModelStatsSnapshot } from '../../infra/metrics.js';
import type { ModelStatus } from '../../infra/model/registry.js';
import type { ModelDescription } from '../../infra/model/load.js';
import { kserveDatatype, type KsMetadataTensor } from './codec.js';

/** Triton's names for the extensions served (binary tensors, GET .../config, GET .../stats), as clients look for them. */
export const EXTENSIONS = ['binary_tensor_data', 'model_configuration', 'statistics'] as const;

/** The ONNX Runtime platform string Triton reports. */
export const PLATFORM = 'onnxruntime_onnx';

export const IMAGE_INPUT = 'image';

/**
 * A detector's outputs: detections padded to max_det (class -1 in the padding), under the
 * EfficientNMS names: num_dets INT32 [B], det_boxes FP32 [B,maxDet,4], det_scores FP32
 * [B,maxDet], det_classes INT32 [B,maxDet].
 */
export const OUTPUT_NAMES = ['num_dets', 'det_boxes', 'det_scores', 'det_classes'] as const;

export function outputMetadata(maxDet: number): KsMetadataTensor[] {
  return [
    { name: 'num_dets', datatype: 'INT32', shape: [-1] },
    { name: 'det_boxes', datatype: 'FP32', shape: [-1, maxDet, 4] },
    { name: 'det_scores', datatype: 'FP32', shape: [-1, maxDet] },
    { name: 'det_classes', datatype: 'INT32', shape: [-1, maxDet] },
  ];
}

export function serverMetadata(version: string) {
  return { name: 'detectfn', version, extensions: [...EXTENSIONS] };
}

export function modelMetadata(d: ModelDescription) {
  const inputs: KsMetadataTensor[] = [
    { name: IMAGE_INPUT, datatype: 'BYTES', shape: [-1] },
    ...(d.tensorInput ? [{ name: d.inputName, datatype: kserveDatatype(d.inputDtype), shape: [-1, 3, d.inputSize.height, d.inputSize.width] }] : []),
  ];
  return {
    name: d.name,
    versions: [d.version],
    platform: PLATFORM,
    inputs,
    ...(d.task === 'classify'
      // Class probabilities; Triton's classification extension turns them into top-N strings.
      ? { outputs: [{ name: d.outputName, datatype: 'FP32', shape: [-1, d.labels.length] }], parameters: { labels: d.labels.join(','), task: d.task } }
      : { outputs: outputMetadata(d.defaults.maxDet), parameters: { labels: d.labels.join(','), conf: d.defaults.conf, iou: d.defaults.iou, max_det: d.defaults.maxDet } }),
  };
}

// ---------------------------------------------------------------------------------------------
// Triton's model configuration (GET .../config, gRPC ModelConfig): the manifest as Triton's
// model_config.proto would describe it.
// ---------------------------------------------------------------------------------------------
export interface TritonTensorConfig {
  readonly name: string;
  /** model_config.proto's DataType: TYPE_FP32, TYPE_INT32, TYPE_STRING (BYTES), ... */
  readonly data_type: string;
  /** Without the batch dimension, since max_batch_size > 0. */
  readonly dims: readonly number[];
  readonly format?: 'FORMAT_NCHW';
  /** The image input is one encoded image per batch item: a scalar per item. */
  readonly reshape?: { readonly shape: readonly number[] };
}

export interface TritonModelConfig {
  readonly name: string;
  readonly platform: string;
  readonly backend: string;
  readonly version_policy: { readonly specific: { readonly versions: readonly string[] } };
  readonly max_batch_size: number;
  readonly input: readonly TritonTensorConfig[];
  readonly output: readonly TritonTensorConfig[];
  readonly dynamic_batching: {
    readonly preferred_batch_size: readonly number[];
    readonly max_queue_delay_microseconds: number;
    readonly default_queue_policy: { readonly max_queue_size: number };
  };
  readonly instance_group: readonly { readonly name: string; readonly kind: 'KIND_CPU' | 'KIND_GPU'; readonly count: number }[];
  readonly parameters: Readonly<Record<string, { readonly string_value: string }>>;
}

/** KServe datatype -> model_config.proto DataType. */
const tritonType = (datatype: string) => (datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`);

/** GET /v2/models/{m}/config: the manifest as Triton's model configuration. */
export function modelConfig(d: ModelDescription): TritonModelConfig {
  const meta = modelMetadata(d);
  const input: TritonTensorConfig[] = [
    { name: IMAGE_INPUT, data_type: 'TYPE_STRING', dims: [1], reshape: { shape: [] } },
    ...(d.tensorInput ? [{ name: d.inputName, data_type: tritonType(kserveDatatype(d.inputDtype)), format: 'FORMAT_NCHW' as const, dims: [3, d.inputSize.height, d.inputSize.width] }] : []),
  ];
  return {
    name: d.name,
    platform: PLATFORM,
    backend: 'onnxruntime',
    version_policy: { specific: { versions: [d.version] } },
    max_batch_size: Math.max(...d.batchSizes),
    input,
    output: meta.outputs.map((o) => ({ name: o.name, data_type: tritonType(o.datatype), dims: o.shape.slice(1) })),
    dynamic_batching: {
      preferred_batch_size: [...d.batchSizes],
      max_queue_delay_microseconds: d.maxQueueDelayUs,
      default_queue_policy: { max_queue_size: d.maxQueue },
    },
    instance_group: [{ name: d.name, kind: d.provider === 'cpu' ? 'KIND_CPU' : 'KIND_GPU', count: d.instances }],
    parameters: Object.fromEntries(Object.entries(meta.parameters).map(([k, v]) => [k, { string_value: String(v) }])),
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics (GET .../stats, gRPC ModelStatistics) and the repository index (POST
// /v2/repository/index, gRPC RepositoryIndex).
// ---------------------------------------------------------------------------------------------
export interface TritonBatchStats {
  readonly batch_size: number;
  readonly compute_input: Duration;
  readonly compute_infer: Duration;
  readonly compute_output: Duration;
}

export interface TritonModelStats {
  readonly name: string;
  readonly version: string;
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: Readonly<Record<'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output' | 'cache_hit' | 'cache_miss', Duration>>;
  readonly batch_stats: readonly TritonBatchStats[];
}

const batchStats = (b: BatchSizeStats): TritonBatchStats => ({
  batch_size: b.batchSize, compute_input: b.computeInput, compute_infer: b.computeInfer, compute_output: b.computeOutput,
});

/** One entry of GET /v2/models[/{m}]/stats's `model_stats` (there is no response cache: cache_* stay 0). */
export function modelStatistics(d: Pick<ModelDescription, 'name' | 'version'>, s: ModelStatsSnapshot): TritonModelStats {
  return {
    name: d.name,
    version: d.version,
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: s.success, fail: s.fail, queue: s.queue,
      compute_input: s.computeInput, compute_infer: s.computeInfer, compute_output: s.computeOutput,
      cache_hit: { count: 0, ns: 0 }, cache_miss: { count: 0, ns: 0 },
    },
    batch_stats: s.batches.map(batchStats),
  };
}

export interface TritonIndexEntry {
  readonly name: string;
  /** Absent while the model's manifest has not been read. */
  readonly version?: string;
  readonly state: 'READY' | 'UNAVAILABLE' | 'LOADING';
  readonly reason: string;
}

const STATE: Record<ModelStatus['state'], TritonIndexEntry['state']> = {
  ready: 'READY', loading: 'LOADING', unavailable: 'UNAVAILABLE', failed: 'UNAVAILABLE', closed: 'UNAVAILABLE',
};

/** POST /v2/repository/index: every configured model (only the ready ones with `ready: true`). */
export function repositoryIndex(status: readonly ModelStatus[], readyOnly = false): TritonIndexEntry[] {
  return status
    .filter((s) => !readyOnly || s.state === 'ready')
    .map((s) => ({ name: s.name, ...(s.version !== undefined ? { version: s.version } : {}), state: STATE[s.state], reason: s.reason ?? '' }));
}
