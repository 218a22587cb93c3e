export { createDecoders, getDecoder } from './decoders.js';
export { end2endDecoder } from './end2end.js';
export { yolov5Decoder } from './yolov5.js';
export { createYolov8Decoder, yolov8Decoder } from './yolov8.js';
export type { Yolov8Decoder, Yolov8DecoderOptions } from './yolov8.js';
export type { ClassScanRoute } from './class-scan.js';
export type { Candidates, DecodeOptions, DecoderSet, OutputDecoder } from './types.js';
