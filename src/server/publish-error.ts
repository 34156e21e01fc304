import { ReliableWebSocketError } from '../protocol/errors';

/** `publish` could not append to the stream's log: the message was not published (code `PUBLISH_FAILED`). */
export class PublishError extends ReliableWebSocketError {
  declare readonly stream: string;

  constructor(stream: string, cause: unknown) {
    super(
      'PUBLISH_FAILED',
      `Could not append to stream ${JSON.stringify(stream)}: ${cause instanceof Error ? cause.message : String(cause)}. Nothing was published; retry once the inbound log is healthy.`,
      { cause },
    );
    this.stream = stream;
  }
}
