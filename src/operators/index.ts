// Backoff
export { retryBackoff, exponentialBackoffDelay, getDelay } from './retry-backoff';
export type { RetryBackoffConfig, RetryBackoffJitter, RetryBackoffRetryInfo } from './retry-backoff';

// Heartbeat
export { heartbeat$ } from './heartbeat';
export type { HeartbeatEvent, HeartbeatOperatorConfig } from './heartbeat';

// Acknowledgement
export { AckTracker } from './ack-tracker';
export type { AckOutcome, AckTrackerConfig, AckTrackOptions } from './ack-tracker';
export { ackWithTimeout } from './ack-with-timeout';
export type { AckSignal, AckWithTimeoutConfig } from './ack-with-timeout';

// Inbound stream acks
export { coalesceAcks, DEFAULT_COALESCE_ACKS_CONFIG } from './coalesce-acks';
export type { CoalesceAcksConfig } from './coalesce-acks';
