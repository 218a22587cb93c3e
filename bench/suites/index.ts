import type { BenchSuite } from '../report.js';
import { coldstartDownloadSuite } from './coldstart-download.js';
import { engineSuite } from './engine.js';
import { modelsDemoSuite } from './models-demo.js';
import { coreDecodeNmsSuite } from './core-decode-nms.js';
import { eventsSuite } from './events.js';
import { pipelineSuite } from './pipeline.js';

/** Every benchmark suite, in report order. Add a suite by importing it here. */
export const SUITES: BenchSuite[] = [coldstartDownloadSuite, engineSuite, modelsDemoSuite, coreDecodeNmsSuite, eventsSuite, pipelineSuite];
