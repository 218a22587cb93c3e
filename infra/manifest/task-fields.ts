/**
 * @module infra/manifest/task-fields
 * A detector and a classifier share most of the manifest, but some fields mean something to
 * one task only. Written on the other task they would be silently ignored (a letterbox on a
 * classifier that centre-crops), so they are refused, by the field's path, before defaults
 * are filled in (after that every field is present).
 */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

const ONLY: Readonly<Record<'detect' | 'classify', readonly (readonly [string, string])[]>> = {
  detect: [['preprocess', 'letterbox'], ['output', 'decoder'], ['thresholds', '']],
  classify: [['preprocess', 'resize'], ['preprocess', 'crop'], ['output', 'kind']],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function taskFieldProblems(json: unknown): FieldProblem[] {
  if (!isObject(json)) return [];
  const task = json.task ?? 'detect';
  if (task !== 'detect' && task !== 'classify') return [];
  const other = task === 'detect' ? 'classify' : 'detect';
  const problems: FieldProblem[] = [];
  for (const [group, field] of ONLY[other]) {
    const parent = json[group];
    const present = field === '' ? parent !== undefined : isObject(parent) && Object.hasOwn(parent, field);
    if (present) {
      problems.push({
        path: field === '' ? group : `${group}.${field}`,
        message: `a ${other === 'detect' ? 'detector' : 'classifier'} field, but this manifest has task ${task}` +
          (task === 'detect' ? ' (set "task": "classify" for a classifier)' : ''),
      });
    }
  }
  return problems;
}

/**
 * A parsed manifest made fit to parse again (adaptManifestToModel re-parses its result): parsing
 * filled in the other task's fields with their defaults, which a second parse would refuse.
 */
export function withoutOtherTaskFields<T extends { task: 'detect' | 'classify' }>(manifest: T): T {
  const out: Record<string, unknown> = { ...manifest };
  for (const [group, field] of ONLY[manifest.task === 'detect' ? 'classify' : 'detect']) {
    if (field === '') delete out[group];
    else if (isObject(out[group])) {
      const { [field]: _dropped, ...rest } = out[group];
      out[group] = rest;
    }
  }
  return out as T;
}
