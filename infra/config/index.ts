export { loadConfig } from './env.js';
export type { ServiceConfig } from './env.js';
