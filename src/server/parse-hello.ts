import {
  decodeFrame,
  MIN_PEER_FRAME_BYTES,
  isWelcome,
  MessageType,
  PROTOCOL_VERSION,
  type DecodeLimits,
  type HelloEnvelope,
} from '../protocol';

/**
 * Reads a socket's first frame: the client's hello, or a string saying why
 * it is not one (sent in the nack before the 4000 close). Only a single
 * envelope qualifies, not a batch: the handshake is the one thing a client
 * may send first.
 */
export function parseHello(
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
  limits: DecodeLimits,
): HelloEnvelope | string {
  if (isBinary) return 'binary frames are not part of the protocol';
  const text = data.toString();
  const { envelopes, errors } = decodeFrame(text, limits);
  const single = errors.length === 0 && envelopes.length === 1 && text.trimStart().startsWith('{');
  const hello = single ? envelopes[0]! : undefined;
  if (hello?.type !== MessageType.CONNECT || isWelcome(hello)) {
    return 'the first frame must be {"type":"connect","v":1,"clientId":"..."}';
  }
  if (hello.v !== PROTOCOL_VERSION)
    return `unsupported protocol version ${hello.v}; this server speaks ${PROTOCOL_VERSION}`;
  if (!isFeatureList(hello.features))
    return `\`features\` must be an array of at most ${MAX_FEATURES} strings of 1 to ${MAX_FEATURE_LENGTH} characters`;
  if (hello.maxPayload !== undefined && hello.maxPayload < MIN_PEER_FRAME_BYTES)
    return `\`maxPayload\` of ${hello.maxPayload} is below ${MIN_PEER_FRAME_BYTES} bytes: no answer would fit`;
  return hello;
}

/** The hello's `features`: a few short names; unknown ones are ignored (docs/protocol.md section 3). */
const MAX_FEATURES = 16;
const MAX_FEATURE_LENGTH = 64;
function isFeatureList(value: unknown): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) &&
      value.length <= MAX_FEATURES &&
      value.every((f) => typeof f === 'string' && f.length > 0 && f.length <= MAX_FEATURE_LENGTH))
  );
}
