/**
 * @module bench/peer/run-cv2-peer
 * Runs bench/peer/cv2_pipeline.py (cv2.imdecode + LetterBox + normalise, single-threaded) as a
 * child on the given images for about `seconds`, and returns what it measured. Undefined when
 * no Python with cv2 is installed (Debian python3-opencv), so the caller can skip the peer.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { findCv2Python } from '../../test/helpers/cv2-reference.js';
import { repoRoot } from '../../test/helpers/shared-data.js';

const SCRIPT = path.join(repoRoot, 'bench/peer/cv2_pipeline.py');

export interface PeerRun {
  readonly images: number;
  readonly wallS: number;
  /** Process CPU time: the script is single-threaded, so images / cpuS is images per core. */
  readonly cpuS: number;
  readonly cv2: string;
}

export type Cv2Peer = (images: readonly string[], seconds: number) => Promise<PeerRun>;

/** A runner bound to the Python that has cv2, or undefined when there is none. */
export function cv2Peer(): Cv2Peer | undefined {
  const python = findCv2Python();
  if (!python) return undefined;
  return async (images, seconds) => {
    const { stdout } = await promisify(execFile)(python, [SCRIPT, String(seconds), ...images], { timeout: (seconds + 60) * 1000, maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout) as { images: number; wall_s: number; cpu_s: number; cv2: string };
    return { images: r.images, wallS: r.wall_s, cpuS: r.cpu_s, cv2: r.cv2 };
  };
}
