/**
 * @module core
 * The public API of core/: pure functions and types, no I/O. Each module appends its exports.
 */
export { DetectError, ERROR_STATUS, GRPC_STATUS, isDetectError, toDetectError } from './errors.js';
export type { DetectErrorOptions, ErrorCode } from './errors.js';
export { DEFAULT_LETTERBOX, planLetterbox, toSourceBoxes } from './geometry.js';
export type { LetterboxOptions, LetterboxPlan, Padding } from './geometry.js';
export { roundHalfEven, significant } from './geometry.js';
export type { Clock, DecodedImage, DecodeHints, Engine, EngineRunOptions, ExecutionProvider, ImageDecoder, Tensor, TensorArray, TensorDType, TensorInfo, TensorMap, TimerHandle } from './types.js';
export { elementCount } from './types.js';
export type { BoxXYXY, Detection, Size, StageTimings } from './types.js';
export { createNormalizer, DEFAULT_NORMALIZE, fromHalfBits, normalizeInto, planNormalize, toHalfBits } from './normalize.js';
export type { ChannelOrder, NormalizeDType, NormalizeOptions, Normalizer, NormalizerOptions, NormalizeRoute } from './normalize.js';
export { assembleBatch, createBatchTensor, expectAllowedBatchSizes, expectPixelBatch, itemView, normalizePixelBatch, packBatch, pickBatchSize, pixelBatchShape, splitBatch } from './batch.js';
export type { AssembledBatch, AssembleOptions, BatchDType, BatchItem, PackOptions, PixelBatchShape } from './batch.js';
export { axisTable, COEF_BITS, COEF_SCALE, createLinearResizer, cropLinear, cropWindow, letterboxLinear, resizeLinearInto } from './resize.js';
export type { AxisTable, LinearResizer, LinearResizerOptions, Raster, Region, ResizeRoute } from './resize.js';
export { apPerClass, boxIou, boxIouMatrix, computeAp, evaluateMap, interp, IOU_THRESHOLDS, matchPredictions, parseYoloLabels } from './map.js';
export type { EvalImage, EvalLabel, EvalPrediction, LabeledBoxes, MapResult } from './map.js';
export { CLASSIFY_PARAMETERS, DEFAULT_CLASSIFY_OPTIONS, DEFAULT_DETECT_OPTIONS, DETECT_PARAMETERS, MAX_DET_LIMIT, MAX_TOP_K, parseBoolean, parseClassifyParams, parseDetectParams, refuseUnknownParams } from './options.js';
export type { ClassifyOptions, DetectOptions, ParsedParameters, ParseOptions } from './options.js';
export { createDecoders, createYolov8Decoder, end2endDecoder, getDecoder, yolov5Decoder, yolov8Decoder } from './decode.js';
export type { Candidates, ClassScanRoute, DecodeOptions, DecoderSet, OutputDecoder, Yolov8Decoder, Yolov8DecoderOptions } from './decode.js';
export { nms, sortByScore } from './postprocess.js';
export type { NmsOptions } from './postprocess.js';
export { toDetections, toPaddedTensors } from './postprocess.js';
export type { PaddedDetections } from './postprocess.js';
export { postprocessItem } from './postprocess.js';
export type { PostprocessContext } from './postprocess.js';
export { channelStats, compareTensors, cropView, describeSteps, letterboxView, parseNpy, planView, tensorRange, tensorToRgb, toFloat32 } from './inspect.js';
export type { ChannelDiff, ChannelStats, Chw, Comparison, CropPlanView, InverseSpec, LetterboxPlanView, NpyTensor, PixelSpec, PlanView, PreprocessStep } from './inspect.js';
export { CROP_RESIZE_MODES, planCrop } from './geometry.js';
export type { CropOptions, CropPlan, CropResizeMode, CropWindow } from './geometry.js';
export { classScores, softmax, topK } from './postprocess.js';
export type { Classification, ClassifierOutputKind } from './postprocess.js';
