/**
 * @module infra/sqs
 * Consuming an SQS queue (sqs-consumer + @aws-sdk/client-sqs); nothing else imports them.
 */
export { createSqsClient, regionOfQueueUrl, type SqsClientOptions } from './client.js';
export { createQueueConsumer, type BatchHandler, type QueueConsumer, type QueueConsumerOptions, type QueueMessage } from './consumer.js';
