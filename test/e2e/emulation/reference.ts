/**
 * @module test/e2e/emulation/reference
 * Step 6's check: the container's detections against the independent reference pipeline
 * (../shared/data/reference): one-to-one, same class, every box coordinate within 4 px,
 * score within 0.03. Returns readable mismatches; an empty list means a match.
 */

export interface Det {
  readonly box: readonly number[];
  readonly score: number;
  readonly classId: number;
}

export const BOX_TOLERANCE_PX = 4;
export const SCORE_TOLERANCE = 0.03;

export function compareDetections(ours: readonly Det[], ref: readonly Det[]): string[] {
  const free = [...ours];
  const problems: string[] = [];
  for (const r of [...ref].sort((a, b) => b.score - a.score)) {
    const i = free.findIndex((d) => d.classId === r.classId && d.box.every((v, k) => Math.abs(v - r.box[k]!) <= BOX_TOLERANCE_PX));
    if (i < 0) {
      problems.push(`reference class ${r.classId} [${r.box.join(', ')}] score ${r.score}: no detection of that class within ${BOX_TOLERANCE_PX} px`);
      continue;
    }
    const [d] = free.splice(i, 1);
    if (Math.abs(d!.score - r.score) > SCORE_TOLERANCE) {
      problems.push(`class ${r.classId} [${r.box.join(', ')}]: score ${d!.score} vs reference ${r.score}`);
    }
  }
  for (const d of free) problems.push(`extra detection class ${d.classId} [${d.box.map((v) => v.toFixed(1)).join(', ')}] score ${d.score}`);
  return problems;
}
