/**
 * @module infra/onnx/types
 * What detectfn learns from an ONNX file without starting a runtime: the graph's real inputs
 * and outputs and the metadata_props that onnxruntime-node does not expose.
 */
import type { TensorInfo } from '../../core/ports/index.js';

export interface ModelInfo {
  /** Graph inputs that are not initializers (weights listed as inputs by old exporters are dropped). */
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** ModelProto.metadata_props as a record (Ultralytics writes names, imgsz, stride, task, batch). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Version of the default ("" / ai.onnx) operator set. */
  readonly opset: number;
  /** producer_name, e.g. "pytorch" or "onnx.quantize". */
  readonly producer: string;
}

/** Ultralytics metadata_props, parsed from the Python reprs Ultralytics writes. */
export interface UltralyticsMetadata {
  /** Class names in class-id order. */
  readonly names?: string[];
  /** Training/export image size as [height, width]. */
  readonly imgsz?: [number, number];
  /** Largest stride of the detection head; input sizes must be multiples of it. */
  readonly stride?: number;
  readonly task?: string;
  /** Batch size the model was exported with. */
  readonly batch?: number;
  /** True for NMS-free (end-to-end) heads such as YOLO26 and YOLOv10. */
  readonly end2end?: boolean;
}
