/**
 * Fault test: SIGTERM under keep-alive load. A real `node dist/server.js` child (demo model),
 * 8 keep-alive clients on raw sockets each sending detect requests back to back, SIGTERM in
 * the middle. What must hold: every request the server accepted (logged) got a complete
 * response; responses to requests sent once the drain started say `Connection: close`;
 * clients reconnecting are refused, not left hanging; the process exits 0 without waiting for
 * the drain limit; and at the limit only a request still running (a stalled upload) is cut.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openConnection, requestHead, type RawConnection } from '../helpers/raw-http.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { shapeImage } from '../helpers/shape-images.js';

const CLIENTS = 8;

interface ClientRecord {
  readonly sent: { id: string; afterDrain: boolean }[];
  readonly answered: Map<string, { status: number; connection: string | undefined }>;
  /** How the last reconnect attempt ended (ECONNREFUSED expected). */
  reconnect: string | undefined;
}

/** Sends detect requests one after another on a keep-alive connection, reconnecting when the server closes it. */
async function keepAliveClient(port: number, name: string, image: Uint8Array, state: { draining: boolean }): Promise<ClientRecord> {
  const rec: ClientRecord = { sent: [], answered: new Map(), reconnect: undefined };
  let conn: RawConnection = await openConnection(port);
  for (let n = 0; ; n++) {
    const id = `${name}-${n}`;
    rec.sent.push({ id, afterDrain: state.draining });
    conn.socket.write(requestHead('POST', '/v1/models/demo/detect', { 'Content-Type': 'image/png', 'Content-Length': image.byteLength, 'X-Request-Id': id }));
    conn.socket.write(image);
    const answer = await conn.waitFor(conn.responses.length + 1).then((r) => r.at(-1)!, () => undefined);
    if (answer) rec.answered.set(id, { status: answer.status, connection: answer.headers.connection });
    if (answer && answer.headers.connection !== 'close' && !conn.socket.destroyed) continue;
    await conn.closed;
    try {
      conn = await openConnection(port);
    } catch (err) {
      rec.reconnect = (err as { code?: string }).code;
      return rec;
    }
  }
}

let server: ServerProcess | undefined;
afterEach(() => server?.stop());

/** Runs the load, sends SIGTERM once every client has had `warm` answers, returns what the clients saw. */
async function sigtermUnderLoad(srv: ServerProcess, beforeSigterm: () => Promise<void> = async () => undefined) {
  const image = await shapeImage(160, 120, [{ kind: 'rect', label: 'red', box: [20, 20, 80, 60] }], 'png');
  const state = { draining: false };
  const clients = Array.from({ length: CLIENTS }, (_, i) => keepAliveClient(srv.port, `c${i}`, image, state));
  await srv.waitForLine(() => srv.lines.filter((l) => l.msg === 'request').length >= CLIENTS * 3);
  await beforeSigterm();
  srv.child.kill('SIGTERM');
  await srv.waitForLine((l) => l.msg === 'shutting down');
  state.draining = true;
  const records = await Promise.all(clients);
  const { code, signal, stderr } = await srv.exited;
  return { records, exit: { code, signal, stderr } };
}

/** The checks every run shares: accepted => answered completely; after the drain began => Connection: close; reconnects refused. */
function expectNothingLost(srv: ServerProcess, records: ClientRecord[]): void {
  const answered = new Map(records.flatMap((r) => [...r.answered]));
  const accepted = srv.lines.filter((l) => l.msg === 'request' && String(l.reqId).startsWith('c'));
  expect(accepted.length).toBeGreaterThan(CLIENTS * 3);
  for (const line of accepted) expect(answered.get(String(line.reqId)), `answer to ${line.reqId}`).toEqual(expect.objectContaining({ status: 200 }));
  expect(answered.size).toBe(accepted.length);
  // Sent but unanswered can only be a request written as the server closed an idle connection: never accepted, never logged.
  const unanswered = records.flatMap((r) => r.sent.filter((s) => !r.answered.has(s.id)).map((s) => s.id));
  expect(unanswered.filter((id) => accepted.some((l) => l.reqId === id))).toEqual([]);
  const afterDrain = records.flatMap((r) => r.sent.filter((s) => s.afterDrain && r.answered.has(s.id)).map((s) => r.answered.get(s.id)!));
  for (const a of afterDrain) expect(a.connection).toBe('close');
  expect(records.map((r) => r.reconnect)).toEqual(Array(CLIENTS).fill('ECONNREFUSED'));
}

describe('SIGTERM under keep-alive load (real child process, demo model)', () => {
  it('answers every accepted request, says Connection: close while draining, refuses reconnects, exits 0 without waiting for the drain limit', async () => {
    server = await startServerProcess({ DETECTFN_MODELS: 'models/demo.json', DETECTFN_SHUTDOWN_DRAIN_MS: '60000' });
    await server.waitForLine((l) => l.msg === 'ready');
    const { records, exit } = await sigtermUnderLoad(server);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expectNothingLost(server, records);
    expect(server.lines.some((l) => String(l.msg).startsWith('drain limit reached'))).toBe(false);
    const closed = server.lines.find((l) => l.msg === 'server closed');
    expect(closed?.ms as number).toBeLessThan(60_000);
  });

  it('at the drain limit cuts only the request still running (a stalled upload), logs it, and exits 0', async () => {
    server = await startServerProcess({ DETECTFN_MODELS: 'models/demo.json', DETECTFN_SHUTDOWN_DRAIN_MS: '3000' });
    await server.waitForLine((l) => l.msg === 'ready');
    let stalled: RawConnection | undefined;
    const { records, exit } = await sigtermUnderLoad(server, async () => {
      stalled = await openConnection(server!.port);
      stalled.socket.write(requestHead('POST', '/v1/models/demo/detect', { 'Content-Type': 'image/png', 'Content-Length': 200_000, 'X-Request-Id': 'stalled' }));
      stalled.socket.write(Buffer.alloc(1_000));
    });
    expect(exit).toMatchObject({ code: 0, signal: null });
    expectNothingLost(server, records);
    expect(server.lines.find((l) => String(l.msg).startsWith('drain limit reached'))).toMatchObject({ cut: 1, level: 40 });
    expect(server.lines.find((l) => l.reqId === 'stalled' && l.code)).toMatchObject({ code: 'CANCELLED', status: 499, msg: expect.stringContaining('drain limit') });
    const cut = await stalled!.closed;
    expect(cut.responses).toEqual([]);
  });
});
