import type { BenchSuite } from '../report.js';
import { coreNormalizeSuite } from './core-normalize.js';
import { imageDecodeSuite } from './image-decode.js';
import { coldstartDownloadSuite } from './coldstart-download.js';
import { httpSuite } from './http.js';
import { grpcSuite } from './grpc.js';
import { engineSuite } from './engine.js';
import { coreDecodeNmsSuite } from './core-decode-nms.js';
import { modelsDemoSuite } from './models-demo.js';
import { eventsSuite } from './events.js';
import { pipelineSuite } from './pipeline.js';
import { pipelineNullEngineSuite } from './pipeline-null-engine.js';
import { faultsSuite } from './faults.js';
import { soakSuite } from './soak.js';
import { preprocessInGraphSuite } from './preprocess-in-graph.js';
import { preprocessInGraphOpsSuite } from './preprocess-in-graph-ops.js';

/** Every benchmark suite, in report order. Add a suite by importing it here. */
export const SUITES: BenchSuite[] = [coreNormalizeSuite, imageDecodeSuite, coldstartDownloadSuite, engineSuite, httpSuite, grpcSuite, coreDecodeNmsSuite, modelsDemoSuite, eventsSuite, pipelineSuite, pipelineNullEngineSuite, faultsSuite, soakSuite, preprocessInGraphSuite, preprocessInGraphOpsSuite];
