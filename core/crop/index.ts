export { CROP_RESIZE_MODES, planCrop } from './plan.js';
export type { CropOptions, CropPlan, CropResizeMode, CropWindow } from './plan.js';
