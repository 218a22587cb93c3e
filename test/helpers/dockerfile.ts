/**
 * @module test/helpers/dockerfile
 * Just enough Dockerfile parsing for the deploy checks (no hadolint or BuildKit here): logical
 * lines with their stage, the global ARG defaults, and the final stage's ENV and exec-form
 * CMD, which is what a platform runs. Used by infra/deploy/dockerfile.test.ts (the lint) and
 * test/e2e (it runs each Dockerfile's CMD with its ENV in the built image).
 */


export interface Instruction {
  readonly op: string;
  readonly args: string;
  /** 0-based index of the FROM this line belongs to; -1 before the first FROM. */
  readonly stage: number;
}

export interface Dockerfile {
  readonly instructions: Instruction[];
  /** ARG NAME=default lines before the first FROM. */
  readonly argDefaults: Map<string, string>;
}

export function parseDockerfile(text: string, origin = 'Dockerfile'): Dockerfile {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let stage = -1;
  const argDefaults = new Map<string, string>();
  const instructions = logical.map((l) => {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(l) ?? [];
    if (!op || args === undefined) throw new Error(`${origin}: cannot parse "${l}"`);
    if (op.toUpperCase() === 'FROM') stage++;
    const def = /^(\w+)=(\S+)$/.exec(args);
    if (op.toUpperCase() === 'ARG' && stage < 0 && def) argDefaults.set(def[1]!, def[2]!);
    return { op: op.toUpperCase(), args, stage };
  });
  return { instructions, argDefaults };
}

/** The final stage: what the image runs. */
export function finalStage(d: Dockerfile): Instruction[] {
  const last = Math.max(...d.instructions.map((i) => i.stage));
  return d.instructions.filter((i) => i.stage === last);
}

/** The exec-form (JSON array) CMD of the final stage; a shell-form CMD is an error. */
export function execCmd(d: Dockerfile): string[] {
  const cmd = finalStage(d).filter((i) => i.op === 'CMD').at(-1);
  if (!cmd) throw new Error('no CMD in the final stage');
  const parsed: unknown = JSON.parse(cmd.args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`CMD is not exec form: ${cmd.args}`);
  return parsed;
}

/** ENV of the final stage (`ENV A=1 B="x y"` form), later lines winning; ${VAR} is not expanded. */
export function finalEnv(d: Dockerfile): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of finalStage(d).filter((x) => x.op === 'ENV')) {
    for (const [, k, quoted, bare] of i.args.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) env[k!] = quoted ?? bare ?? '';
  }
  return env;
}
