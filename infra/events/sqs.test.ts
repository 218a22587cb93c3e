import { describe, expect, it } from 'vitest';
import { createSqsClient, regionOfQueueUrl } from './sqs.js';

describe('createSqsClient', () => {
  it('takes the region from an AWS queue URL, else AWS_REGION', async () => {
    expect(regionOfQueueUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/q')).toBe('eu-west-1');
    expect(regionOfQueueUrl('http://127.0.0.1:9324/000000000000/q')).toBeUndefined();
    const aws = createSqsClient({ queueUrl: 'https://sqs.ap-south-1.amazonaws.com/1/q' }, {});
    expect(await aws.config.region()).toBe('ap-south-1');
    const local = createSqsClient({ queueUrl: 'http://127.0.0.1:9324/0/q' }, { AWS_REGION: 'us-west-2' });
    expect(await local.config.region()).toBe('us-west-2');
    expect((await local.config.endpoint!()).port).toBe(9324);
  });
});
