/** Envelope kinds on the wire. Values are the seed's and are part of the protocol. */
export enum MessageType {
  DATA = 'data',
  COMMAND = 'command',
  RESPONSE = 'response',
  ACK = 'ack',
  NACK = 'nack',
  HEARTBEAT = 'heartbeat',
  HEARTBEAT_ACK = 'heartbeat_ack',
  CONNECT = 'connect',
  DISCONNECT = 'disconnect',
  RECONNECT = 'reconnect',
}

/** Queue priority: higher drains first; FIFO within one priority. */
export enum MessagePriority {
  LOW = 0,
  NORMAL = 1,
  HIGH = 2,
  CRITICAL = 3,
}

export enum ConnectionState {
  DISCONNECTED = 'disconnected',
  CONNECTING = 'connecting',
  CONNECTED = 'connected',
  RECONNECTING = 'reconnecting',
  DISCONNECTING = 'disconnecting',
  ERROR = 'error',
}

export const PROTOCOL_VERSION = 1;
