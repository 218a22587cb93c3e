export { roundHalfEven } from './round-half-even.js';
