/**
 * @module test/e2e/emulation/tcp-forward
 * A byte-for-byte TCP relay. radosgw listens on 127.0.0.1 only; the function container reaches
 * it through this relay bound to the gateway address of the Docker network the emulation
 * created (a host address on that network only). Plain TCP, so S3 signatures (which cover the
 * Host header) are untouched.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpForward {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function forwardTcp(listenHost: string, target: { host: string; port: number }): Promise<TcpForward> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = createServer((inbound) => {
    const outbound = connect(target.port, target.host);
    track(inbound);
    track(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', drop);
    outbound.on('error', drop);
    inbound.pipe(outbound).pipe(inbound);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const close = () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        });
      resolve({ host: listenHost, port, close });
    });
  });
}
