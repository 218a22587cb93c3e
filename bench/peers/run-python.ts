/**
 * @module bench/peers/run-python
 * The cv2 peers are small scripts under bench/peers run by the Python that has cv2 (Debian's
 * python3-opencv); each prints one JSON object. One runner for all of them.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { findCv2Python } from '../../test/helpers/cv2-reference.js';
import { repoRoot } from '../../test/helpers/shared-data.js';

export const CV2_MISSING = 'python3 with cv2 not found (apt-get install python3-opencv python3-numpy): cv2 peer skipped';

/** Runs bench/peers/`script` with `args` and parses its JSON; throws CV2_MISSING where there is no such Python. */
export async function runPeerScript<T>(script: string, args: readonly string[], timeoutMs = 0): Promise<T> {
  const python = findCv2Python();
  if (!python) throw new Error(CV2_MISSING);
  const { stdout } = await promisify(execFile)(python, [path.join(repoRoot, 'bench/peers', script), ...args], { timeout: timeoutMs, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}
