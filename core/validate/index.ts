export {
  describe,
  expectInteger,
  expectNumber,
  expectOneOf,
  inRange,
  invalidParameterError,
  isInteger,
  isNumber,
} from './validate.js';
