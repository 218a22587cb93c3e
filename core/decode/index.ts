export { createDecoders, getDecoder } from './decoders.js';
export { end2endDecoder } from './end2end.js';
export { yolov5Decoder } from './yolov5.js';
export { yolov8Decoder } from './yolov8.js';
export type { Candidates, DecodeOptions, DecoderSet, OutputDecoder } from './types.js';
