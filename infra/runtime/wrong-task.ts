/**
 * @module infra/runtime/wrong-task
 * The one WRONG_TASK error: a detector asked to classify or a classifier asked to detect. Every
 * surface (the library's calls, the HTTP routes, KServe) says the same thing and differs only in
 * what it tells the caller to use instead.
 */
import { DetectError } from '../../core/errors/index.js';

export type Task = 'detect' | 'classify';

const KIND: Record<Task, string> = { detect: 'a detector', classify: 'a classifier' };

/** `model colours is a classifier (task classify), not a detector: use classify`. */
export function wrongTaskError(model: string, task: Task, want: Task, useInstead: string = task, details: Record<string, unknown> = {}): DetectError {
  return new DetectError('WRONG_TASK', `model ${model} is ${KIND[task]} (task ${task}), not ${KIND[want]}: use ${useInstead}`, {
    details: { model, task, ...details },
  });
}
