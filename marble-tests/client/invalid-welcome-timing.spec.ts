import { ConnectionError, ProtocolError } from '../../src/index';
import { clientFixture } from './helpers/client-fixture';

describe('ReliableWebSocketClient with an invalid welcome', () => {
  it.each([
    ['dedupeTtl: -1', { dedupeTtl: -1 }, /`dedupeTtl` must be a number > 0/],
    ['maxPayload: 0', { maxPayload: 0 }, /`maxPayload` must be a number > 0/],
    ['heartbeatInterval missing', { heartbeatInterval: undefined }, /`heartbeatInterval`/],
  ])(
    '%s: fails the attempt at once (not after connectTimeout) and names the protocol error',
    async (_, welcome, rule) => {
      const f = clientFixture({ maxReconnectAttempts: 1, reconnectInterval: 100, connectTimeout: 10_000 });
      f.server.behaviour.welcome = welcome;
      const errors: Error[] = [];
      f.client.addEventListener('error', (e) => errors.push(e.detail.error));
      const connected = f.client.connect().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await f.clock.advanceTo(1000);

      // Two attempts (the first and one retry), each failed as soon as the welcome arrived.
      expect(f.server.attempts).toHaveLength(2);
      expect(f.server.sockets.map((s) => [s.closedWith?.at, s.closedWith?.code])).toEqual([
        [0, 4000],
        [f.server.attempts[1], 4000],
      ]);
      const error = (await connected) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toMatch(/PROTOCOL_ERROR/);
      expect(error.message).toMatch(rule);
      expect(error.message).not.toMatch(/No handshake answer/);
      expect(f.states.at(-1)).toEqual([f.server.attempts[1], 'error']);
      expect(errors.some((e) => e instanceof ProtocolError && e.reason === 'INVALID_FIELD')).toBe(true);
      await f.close();
    },
  );
});
