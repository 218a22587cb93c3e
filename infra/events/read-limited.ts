/**
 * @module infra/events/read-limited
 * Reads a body into one buffer without trusting its declared length: a declared length over
 * the limit is refused before a byte is read, and the bytes are counted as they arrive, so a
 * body that lies (or has no length) is cut off at the limit instead of filling memory.
 */
import { DetectError } from '../../core/errors/index.js';

export function tooLargeError(what: string, limit: number, seen: number, declared: boolean): DetectError {
  const how = declared ? `declares ${seen} bytes` : `exceeded ${limit} bytes while streaming`;
  return new DetectError('PAYLOAD_TOO_LARGE', `${what} ${how}; the limit is ${limit} bytes`, { details: { limit, bytes: seen, declared } });
}

type Body = AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };

export async function readLimited(body: Body, maxBytes: number, what: string, declaredLength?: number): Promise<Uint8Array> {
  if (declaredLength !== undefined && declaredLength > maxBytes) {
    body.destroy?.();
    throw tooLargeError(what, maxBytes, declaredLength, true);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Leaving the loop early closes the stream (the socket is not drained).
      body.destroy?.();
      throw tooLargeError(what, maxBytes, total, false);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
