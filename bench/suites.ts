import type { BenchSuite } from './report.js';
import { coreNormalizeSuite } from './suites/core-normalize.js';
import { imageDecodeSuite } from './suites/image-decode.js';
import { coldstartDownloadSuite } from './suites/coldstart-download.js';
import { httpSuite } from './suites/http.js';
import { grpcSuite } from './suites/grpc.js';
import { engineSuite } from './suites/engine.js';
import { coreDecodeNmsSuite } from './suites/core-decode-nms.js';
import { modelsDemoSuite } from './suites/models-demo.js';
import { eventsSuite } from './suites/events.js';
import { pipelineSuite } from './suites/pipeline.js';
import { pipelineNullEngineSuite } from './suites/pipeline-null-engine.js';
import { faultsSuite } from './suites/faults.js';
import { soakSuite } from './suites/soak.js';
import { preprocessInGraphSuite } from './suites/preprocess-in-graph.js';
import { preprocessInGraphOpsSuite } from './suites/preprocess-in-graph-ops.js';

/** Every benchmark suite, in report order. Add a suite by importing it here. */
export const SUITES: BenchSuite[] = [coreNormalizeSuite, imageDecodeSuite, coldstartDownloadSuite, engineSuite, httpSuite, grpcSuite, coreDecodeNmsSuite, modelsDemoSuite, eventsSuite, pipelineSuite, pipelineNullEngineSuite, faultsSuite, soakSuite, preprocessInGraphSuite, preprocessInGraphOpsSuite];
