/**
 * @module handlers/cli/open-model
 * Loads one model (manifest or .onnx path) for the batch commands and waits until it is warm.
 * A command that serves one task (`detect`/`eval` detectors, `classify` classifiers) names it,
 * and a model of the other task is refused (WRONG_TASK) naming the command that serves it.
 * Logs go to stderr at warn level so stdout stays the command's output.
 */
import path from 'node:path';
import { cliLogger } from './cli-logger.js';
import { loadConfig } from '../../infra/config/index.js';
import { createModelRegistry, wrongTaskError, type Task } from '../../infra/runtime/index.js';
import type { ModelRegistry, ModelService } from '../../infra/runtime/model-service.js';
import { registryOptions } from '../serve/registry-options.js';

export interface OpenModel {
  readonly model: ModelService;
  readonly registry: ModelRegistry;
}

/** The command that serves each task's models. */
const COMMAND: Record<Task, string> = { detect: 'detectfn detect', classify: 'detectfn classify' };

export async function openModel(modelPath: string, want?: Task): Promise<OpenModel> {
  const logger = cliLogger();
  const uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(modelPath) ? modelPath : path.resolve(modelPath);
  // The same cache, S3 and load-retry settings as the server.
  const config = loadConfig(process.env);
  const registry = createModelRegistry(registryOptions(config, [uri], logger));
  try {
    await registry.whenReady();
    const model = registry.get(registry.names()[0]);
    const { name, task } = model.describe();
    if (want !== undefined && task !== want) throw wrongTaskError(name, task, want, COMMAND[task]);
    return { model, registry };
  } catch (err) {
    await registry.close();
    throw err;
  }
}
