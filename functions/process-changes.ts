/**
 * The processor on the `changes` queue. Retries, the visibility timeout between them, maxDequeueCount
 * and the `<queue>-poison` queue are the host's (host.json); the handler writes the poison decision
 * record on the last attempt.
 */
import azfunc from '@azure/functions';
import { queueFunction } from './lib/adapter.js';

const { app } = azfunc;

export const processChanges = queueFunction;

app.storageQueue('processChanges', {
  queueName: process.env.QUEUE_NAME ?? 'changes',
  connection: 'AzureWebJobsStorage',
  handler: processChanges,
});
