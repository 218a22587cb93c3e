export type { Clock, TimerHandle } from './clock.js';
export type { Engine, EngineRunOptions, ExecutionProvider } from './engine.js';
export type { DecodedImage, DecodeHints, ImageDecoder } from './image.js';
export { elementCount } from './tensor.js';
export type { Tensor, TensorArray, TensorDType, TensorInfo, TensorMap } from './tensor.js';
