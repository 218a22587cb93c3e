/**
 * @module infra/sqs/client
 * An SQS client for one queue URL. Requests go to the queue URL's own host
 * (`useQueueUrlAsEndpoint`), so a VPC endpoint or a local stand-in needs no extra setting;
 * the region comes from the URL when it is an AWS one (signatures are per region), else from
 * AWS_REGION. Credentials: the SDK's default chain (IRSA on EKS) unless given.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

export interface SqsClientOptions {
  readonly queueUrl: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** "https://sqs.eu-west-1.amazonaws.com/123/q" -> "eu-west-1"; undefined for other hosts. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  return /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(queueUrl).hostname)?.[1];
}

export function createSqsClient(options: SqsClientOptions, env: NodeJS.ProcessEnv = process.env): SQSClient {
  const region = options.region ?? regionOfQueueUrl(options.queueUrl) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // A non-AWS host (VPC endpoint DNS, a local stand-in) is also the client's endpoint, so the
  // SDK does not warn on every request that the queue URL differs from the resolved endpoint.
  const custom = regionOfQueueUrl(options.queueUrl) === undefined;
  return new SQSClient({
    region,
    useQueueUrlAsEndpoint: true,
    ...(custom ? { endpoint: new URL(options.queueUrl).origin } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
  });
}
