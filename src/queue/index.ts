export { PriorityHeap } from './binary-heap';
export { createMessageId, isMessagePriority } from './queued-message';
export type { QueuedMessage } from './queued-message';
export { DEFAULT_MESSAGE_QUEUE_CONFIG } from './message-queue-config';
export type { MessageQueueConfig, EnqueueOptions, EnqueueMessage } from './message-queue-config';
export { MessageQueue } from './message-queue';
export type { EvictedMessage, MessageQueueOptions } from './message-queue';
export { Outbox } from './outbox';
export type { OutboxConfig } from './outbox';
