/**
 * A STAND-IN for Amazon SQS: one queue on a loopback HTTP server speaking the AWS JSON 1.0
 * protocol that @aws-sdk/client-sqs v3 uses (POST, `X-Amz-Target: AmazonSQS.<Op>`). No real
 * SQS runs here, and the npm `sqslite` stand-in answers only the older query/XML protocol
 * (415 Unsupported Media Type to every v3 JSON request, checked with sqslite 2.1.1), hence this.
 * It implements what the consumer and the tests use, with SQS semantics: SendMessage,
 * ReceiveMessage (long poll, visibility timeout, ApproximateReceiveCount, a redrive policy
 * moving a message received more than `maxReceiveCount` times to `deadLetters`), DeleteMessage,
 * DeleteMessageBatch, ChangeMessageVisibility(Batch). Every call is kept in `calls`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinMessage {
  readonly id: string;
  readonly body: string;
  receiveCount: number;
  receipt: string | undefined;
  visibleAt: number;
  state: 'queued' | 'deleted' | 'dead';
}

export interface SqsStandin {
  readonly queueUrl: string;
  readonly messages: Map<string, StandinMessage>;
  readonly calls: { op: string; at: number; ids: string[] }[];
  readonly deadLetters: () => StandinMessage[];
  /** Messages received and neither deleted nor visible again. */
  inFlight(): StandinMessage[];
  /** Long polls waiting now. */
  waiting(): number;
  close(): Promise<void>;
}

type Json = Record<string, any>;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
class SqsFault extends Error {
  constructor(readonly type: string, message: string) { super(message); }
}

export async function startSqsStandin(opts: { maxReceiveCount?: number; queueName?: string } = {}): Promise<SqsStandin> {
  const messages = new Map<string, StandinMessage>();
  const calls: SqsStandin['calls'] = [];
  let closed = false;
  let waiting = 0;
  const byReceipt = (h: string) => [...messages.values()].find((m) => m.state === 'queued' && m.receipt === h);

  async function receive(req: Json, res: ServerResponse): Promise<Json> {
    const deadline = Date.now() + (req.WaitTimeSeconds ?? 0) * 1000;
    const max = req.MaxNumberOfMessages ?? 1;
    waiting++;
    try {
      for (;;) {
        const now = Date.now();
        const ready = [...messages.values()].filter((m) => m.state === 'queued' && m.visibleAt <= now);
        // An aborted long poll gets nothing: SQS would not hand messages to a closed connection.
        if (res.destroyed || res.socket?.destroyed) return { Messages: [] };
        const out: StandinMessage[] = [];
        for (const m of ready) {
          if (out.length >= max) break;
          if (opts.maxReceiveCount !== undefined && m.receiveCount >= opts.maxReceiveCount) { m.state = 'dead'; continue; }
          m.receiveCount += 1;
          m.receipt = randomUUID();
          m.visibleAt = now + (req.VisibilityTimeout ?? 30) * 1000;
          out.push(m);
        }
        if (out.length > 0 || now >= deadline || closed) {
          return { Messages: out.map((m) => ({ MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: md5(m.body), Body: m.body, Attributes: { ApproximateReceiveCount: String(m.receiveCount) } })) };
        }
        await sleep(20);
      }
    } finally {
      waiting--;
    }
  }

  function changeVisibility(handle: string, seconds: number): void {
    const m = byReceipt(handle);
    if (!m) throw new SqsFault('ReceiptHandleIsInvalid', `receipt handle ${handle} is not current`);
    m.visibleAt = Date.now() + seconds * 1000;
  }

  function remove(handle: string): string {
    const m = byReceipt(handle);
    if (!m) throw new SqsFault('ReceiptHandleIsInvalid', `receipt handle ${handle} is not current`);
    m.state = 'deleted';
    return m.id;
  }

  function batch(entries: Json[], fn: (e: Json) => void): Json {
    const Successful: Json[] = [];
    const Failed: Json[] = [];
    for (const e of entries) {
      try { fn(e); Successful.push({ Id: e.Id }); } catch (err) { Failed.push({ Id: e.Id, SenderFault: true, Code: (err as SqsFault).type, Message: (err as Error).message }); }
    }
    return { Successful, Failed };
  }

  async function dispatch(op: string, req: Json, res: ServerResponse): Promise<Json> {
    switch (op) {
      case 'SendMessage': {
        const id = randomUUID();
        messages.set(id, { id, body: req.MessageBody, receiveCount: 0, receipt: undefined, visibleAt: Date.now() + (req.DelaySeconds ?? 0) * 1000, state: 'queued' });
        calls.push({ op, at: Date.now(), ids: [id] });
        return { MessageId: id, MD5OfMessageBody: md5(req.MessageBody) };
      }
      case 'ReceiveMessage': {
        const out = await receive(req, res);
        calls.push({ op, at: Date.now(), ids: out.Messages.map((m: Json) => m.MessageId) });
        return out;
      }
      case 'DeleteMessage': calls.push({ op, at: Date.now(), ids: [remove(req.ReceiptHandle)] }); return {};
      case 'DeleteMessageBatch': {
        const ids: string[] = [];
        const out = batch(req.Entries, (e) => ids.push(remove(e.ReceiptHandle)));
        calls.push({ op, at: Date.now(), ids });
        return out;
      }
      case 'ChangeMessageVisibility': changeVisibility(req.ReceiptHandle, req.VisibilityTimeout); calls.push({ op, at: Date.now(), ids: [] }); return {};
      case 'ChangeMessageVisibilityBatch': calls.push({ op, at: Date.now(), ids: [] }); return batch(req.Entries, (e) => changeVisibility(e.ReceiptHandle, e.VisibilityTimeout));
      default: throw new SqsFault('UnsupportedOperation', `${op} is not implemented by the stand-in`);
    }
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    let status = 200;
    let out: Json;
    try {
      out = await dispatch(op, JSON.parse(raw || '{}'), res);
    } catch (err) {
      status = 400;
      out = { __type: `com.amazonaws.sqs#${err instanceof SqsFault ? err.type : 'InternalError'}`, message: (err as Error).message };
    }
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID() });
    res.end(JSON.stringify(out));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    queueUrl: `http://127.0.0.1:${port}/000000000000/${opts.queueName ?? 'detectfn-test'}`,
    messages,
    calls,
    deadLetters: () => [...messages.values()].filter((m) => m.state === 'dead'),
    inFlight: () => [...messages.values()].filter((m) => m.state === 'queued' && m.receipt !== undefined && m.visibleAt > Date.now()),
    waiting: () => waiting,
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
