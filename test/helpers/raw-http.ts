/**
 * HTTP/1.1 over a raw `node:net` socket, for tests where fetch would hide what matters:
 * pipelining, the Connection header, whether the server closed with FIN or reset the socket.
 * `openConnection` writes whatever the test gives it and parses every response that comes back.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RawConnection {
  readonly socket: net.Socket;
  /** Complete responses so far, in order. */
  readonly responses: RawResponse[];
  /** Waits until `n` complete responses arrived (rejects if the socket closes first). */
  waitFor(n: number): Promise<RawResponse[]>;
  /** Settles when the socket is closed: `error` is set when it ended with an error (ECONNRESET, EPIPE). */
  readonly closed: Promise<{ error: (Error & { code?: string }) | undefined; responses: RawResponse[] }>;
}

/** Parses complete responses off the front of `buf` (Content-Length framing only). */
function parseResponses(buf: Buffer, out: RawResponse[]): Buffer {
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return buf;
    const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    if (buf.byteLength < end + 4 + length) return buf;
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: buf.subarray(end + 4, end + 4 + length).toString() });
    buf = buf.subarray(end + 4 + length);
  }
}

export function openConnection(port: number, host = '127.0.0.1'): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const responses: RawResponse[] = [];
    let pending: Buffer = Buffer.alloc(0);
    let error: Error | undefined;
    const waiters: (() => void)[] = [];
    socket.on('data', (d) => {
      pending = parseResponses(Buffer.concat([pending, d]), responses);
      waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', (err) => (error = err));
    const closed = new Promise<{ error: Error | undefined; responses: RawResponse[] }>((done) => {
      socket.on('close', () => {
        done({ error, responses });
        waiters.splice(0).forEach((w) => w());
      });
    });
    const waitFor = (n: number) =>
      new Promise<RawResponse[]>((ok, fail) => {
        const check = () => {
          if (responses.length >= n) ok(responses.slice(0, n));
          else if (socket.destroyed) fail(new Error(`connection closed after ${responses.length} of ${n} responses (${error?.message ?? 'no error'})`));
          else waiters.push(check);
        };
        check();
      });
    socket.once('connect', () => resolve({ socket, responses, waitFor, closed }));
    socket.once('error', reject);
  });
}

/** The head of a request (request line and headers, blank line included). */
export function requestHead(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ Host: 'localhost', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
