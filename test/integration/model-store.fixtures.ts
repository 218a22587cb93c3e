/**
 * Shared set-up for the model store integration tests: a bucket on the real radosgw from global
 * set-up, yolov8n.onnx as the object, an S3 client that counts the commands it sends, and a
 * stand-in HTTP "S3" for what radosgw cannot produce (a body shorter than its Content-Length).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { s3ClientFor, type RadosgwConnection } from '../helpers/radosgw.js';
import { MODELS } from '../helpers/shared-data.js';

export const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const YOLO_SHA256 = '35e3c61f03fd01536a0f1cf9037de6c5c9d49d1ede61615498ca1dec84f1b2b6';

export function yolov8nBytes(): Buffer {
  return readFileSync(MODELS.yolov8n());
}

/** An S3 client for `conn` that counts every command it sends, by command name. */
export function countingClient(conn: RadosgwConnection) {
  const client = s3ClientFor(conn);
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts[context.commandName!] = (counts[context.commandName!] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client, counts };
}

export async function newBucket() {
  const conn = inject('radosgw');
  const admin = s3ClientFor(conn);
  const bucket = `models-${randomBytes(4).toString('hex')}`;
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  const put = async (key: string, body: Uint8Array) => admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { conn, admin, bucket, put };
}

export const freshCacheDir = () => mkdtemp(path.join(tmpdir(), 'detectfn-store-test-'));

/** Files left in a cache dir, temp files included. */
export const filesIn = async (dir: string) => (await readdir(dir)).sort();

/**
 * STAND-IN, not S3: answers HEAD with an ETag and Content-Length `size`, and GET with the same
 * headers but only `sent` bytes before closing the socket. radosgw always sends whole bodies, so
 * this is the only way to produce a truncated transfer here.
 */
export async function shortBodyServer(size: number, sent: number): Promise<{ endpoint: string; gets: () => number; close: () => Promise<void> }> {
  let gets = 0;
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': String(size), ETag: '"0123456789abcdef"', 'Content-Type': 'application/octet-stream' });
    if (req.method === 'HEAD') return void res.end();
    gets++;
    res.write(Buffer.alloc(sent, 7), () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    gets: () => gets,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * STAND-IN, not S3: HEAD answers 200; the first `failures` GETs answer `status` with an S3 error
 * body, later GETs the whole `body`. radosgw cannot be made to fail on demand.
 */
export async function flakyServer(body: Uint8Array, failures: number, status: number) {
  let gets = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && ++gets <= failures) {
      res.writeHead(status, { 'Content-Type': 'application/xml' });
      return void res.end(`<?xml version="1.0"?><Error><Code>${status === 403 ? 'AccessDenied' : 'SlowDown'}</Code><Message>stand-in</Message></Error>`);
    }
    res.writeHead(200, { 'Content-Length': String(body.length), ETag: '"fedcba9876543210"' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    gets: () => gets,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
