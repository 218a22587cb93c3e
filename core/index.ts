/**
 * @module core
 * The public API of core/: pure functions and types, no I/O, no Node built-ins. A request's path
 * through it, in order: options (parse once) -> geometry (plan the input) -> resize (execute the
 * plan on decoded pixels) -> normalize and batch (the engine's input) -> decode and postprocess
 * (the engine's output back to detections or classes). errors and types are shared by all;
 * inspect and map serve the inspector and accuracy checks. Inside core and the rest of the repo,
 * code imports the module file itself; this barrel is only the package's `./core` export.
 */
export { DetectError, ERROR_STATUS, GRPC_STATUS, isDetectError, toDetectError } from './errors.js';
export type { DetectErrorOptions, ErrorCode } from './errors.js';
export type { BoxXYXY, Clock, DecodedImage, DecodeHints, Detection, Engine, EngineRunOptions, ExecutionProvider, ImageDecoder, StageTimings, Tensor, TensorArray, TensorDType, TensorInfo, TensorMap, TimerHandle } from './types.js';

export { CLASSIFY_PARAMETERS, DEFAULT_CLASSIFY_OPTIONS, DEFAULT_DETECT_OPTIONS, DETECT_PARAMETERS, MAX_DET_LIMIT, MAX_TOP_K, parseBoolean, parseClassifyParams, parseDetectParams, refuseUnknownParams } from './options.js';
export type { ClassifyOptions, DetectOptions, ParsedParameters, ParseOptions } from './options.js';

export { CROP_RESIZE_MODES, DEFAULT_LETTERBOX, planCrop, planLetterbox, roundHalfEven, significant, toSourceBoxes } from './geometry.js';
export type { CropOptions, CropPlan, CropResizeMode, CropWindow, LetterboxOptions, LetterboxPlan, Padding, Size } from './geometry.js';
export { axisTable, COEF_BITS, COEF_SCALE, createLinearResizer, cropLinear, cropWindow, letterboxLinear, resizeLinearInto } from './resize.js';
export type { AxisTable, LinearResizer, LinearResizerOptions, Raster, Region, ResizeRoute } from './resize.js';

export { createNormalizer, DEFAULT_NORMALIZE, fromHalfBits, normalizeInto, planNormalize, toHalfBits } from './normalize.js';
export type { ChannelOrder, NormalizeDType, NormalizeOptions, Normalizer, NormalizerOptions, NormalizeRoute } from './normalize.js';
export { assembleBatch, createBatchTensor, elementCount, expectAllowedBatchSizes, expectPixelBatch, itemView, normalizePixelBatch, packBatch, pickBatchSize, pixelBatchShape, splitBatch } from './batch.js';
export type { AssembledBatch, AssembleOptions, BatchDType, BatchItem, PackOptions, PixelBatchShape } from './batch.js';

export { createDecoders, createYolov8Decoder, end2endDecoder, getDecoder, yolov5Decoder, yolov8Decoder } from './decode.js';
export type { Candidates, ClassScanRoute, DecodeOptions, DecoderSet, OutputDecoder, Yolov8Decoder, Yolov8DecoderOptions } from './decode.js';
export { classScores, nms, postprocessItem, softmax, sortByScore, toDetections, toPaddedTensors, topK } from './postprocess.js';
export type { Classification, ClassifierOutputKind, NmsOptions, PaddedDetections, PostprocessContext } from './postprocess.js';

export { channelStats, compareTensors, cropView, describeSteps, letterboxView, parseNpy, planView, tensorRange, tensorToRgb, toFloat32 } from './inspect.js';
export type { ChannelDiff, ChannelStats, Chw, Comparison, CropPlanView, InverseSpec, LetterboxPlanView, NpyTensor, PixelSpec, PlanView, PreprocessStep } from './inspect.js';
export { apPerClass, boxIou, boxIouMatrix, computeAp, evaluateMap, interp, IOU_THRESHOLDS, matchPredictions, parseYoloLabels } from './map.js';
export type { EvalImage, EvalLabel, EvalPrediction, LabeledBoxes, MapResult } from './map.js';
