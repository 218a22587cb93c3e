export { postprocessItem } from './postprocess.js';
export type { PostprocessContext } from './postprocess.js';
