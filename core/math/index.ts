export { roundHalfEven } from './round-half-even.js';
export { significant } from './significant.js';
