import { describe, expect, it } from 'vitest';
import { standInDeps } from '../test/helpers/fake-registry.js';
import { createApp } from './http/app.js';
import { createLambdaHandler, isHttpEvent } from './lambda.js';

// HTTP-shape test with a STAND-IN registry (test/helpers/fake-registry.ts): no model runs.
// Events are plain objects, as AWS delivers them.

const httpV2 = {
  version: '2.0', routeKey: '$default', rawPath: '/healthz', rawQueryString: '', headers: { host: 'x.lambda-url.eu-west-1.on.aws' }, isBase64Encoded: false,
  requestContext: { http: { method: 'GET', path: '/healthz', protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 't' }, requestId: 'r', routeKey: '$default', stage: '$default', domainName: 'x', accountId: '1', apiId: 'a', time: '', timeEpoch: 0 },
};
const s3Event = { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'k.jpg' } } }] };

describe('lambda handler', () => {
  it('tells HTTP events from object events', () => {
    expect(isHttpEvent(httpV2)).toBe(true);
    expect(isHttpEvent({ httpMethod: 'GET', requestContext: {}, path: '/' })).toBe(true);
    expect(isHttpEvent(s3Event)).toBe(false);
    expect(isHttpEvent({ 'detail-type': 'Object Created', detail: {} })).toBe(false);
  });

  it('serves HTTP events through the same app', async () => {
    const deps = standInDeps();
    const handler = createLambdaHandler({ app: createApp(deps), logger: deps.logger });
    const res = (await handler(httpV2)) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('hands other events to onOtherEvent, and refuses them loudly without it', async () => {
    const deps = standInDeps();
    const seen: unknown[] = [];
    const wired = createLambdaHandler({ app: createApp(deps), logger: deps.logger, onOtherEvent: async (e) => (seen.push(e), 'done') });
    expect(await wired(s3Event)).toBe('done');
    expect(seen).toEqual([s3Event]);
    const bare = createLambdaHandler({ app: createApp(deps), logger: deps.logger });
    await expect(bare(s3Event)).rejects.toThrow(/unsupported Lambda event \(keys: Records\)/);
  });
});
