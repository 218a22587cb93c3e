export { letterboxLinear } from './letterbox-rgb.js';
export { resizeLinearInto } from './linear.js';
export type { Raster, Region } from './linear.js';
export { axisTable, COEF_BITS, COEF_SCALE } from './tables.js';
export type { AxisTable } from './tables.js';
export { createLinearResizer } from './resizer.js';
export type { LinearResizer, LinearResizerOptions, ResizeRoute } from './resizer.js';
export { cropLinear, cropWindow } from './crop-rgb.js';
