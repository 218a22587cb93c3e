/**
 * @module handlers/lambda-main
 * The AWS Lambda entry point (bundled to dist/lambda.js; handler "lambda.handler"). The init
 * (handlers/lambda's `initLambda`: models loaded and warm) runs as a top-level await, so it
 * happens in Lambda's init phase and a model that cannot load fails the init.
 */
import { initLambda } from './lambda.js';

export const handler = await initLambda();
