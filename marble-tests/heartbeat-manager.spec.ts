import { TestScheduler } from 'rxjs/testing';
import { HeartbeatManager } from '../src/index';

describe('HeartbeatManager', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("calls the seed's callbacks: onPing and sendPing each interval, onPong with the latency", () => {
    scheduler.run(({ flush }) => {
      const log: string[] = [];
      const manager = new HeartbeatManager(
        { interval: 100, timeout: 30, maxMissed: 3 },
        {
          onPing: () => log.push(`ping@${scheduler.now()}`),
          onPong: (latency) => log.push(`pong ${latency}@${scheduler.now()}`),
          onTimeout: (n) => log.push(`timeout ${n}`),
        },
        scheduler,
      );
      let sent = 0;
      manager.start(() => sent++);
      scheduler.schedule(() => manager.handlePong(), 10);
      scheduler.schedule(() => manager.handlePong(), 120);
      scheduler.schedule(() => manager.stop(), 150);
      flush();
      expect(log).toEqual(['ping@0', 'pong 10@10', 'ping@100', 'pong 20@120']);
      expect(sent).toBe(2);
    });
  });

  it('counts every miss and declares the connection lost at maxMissed: (maxMissed - 1) * interval + timeout', () => {
    scheduler.run(({ flush }) => {
      const log: string[] = [];
      const manager = new HeartbeatManager(
        { interval: 100, timeout: 30, maxMissed: 3 },
        {
          onTimeout: (n) => log.push(`timeout ${n}@${scheduler.now()}`),
          onConnectionLost: () => log.push(`lost@${scheduler.now()}`),
        },
        scheduler,
      );
      manager.start(() => undefined);
      flush();
      expect(log).toEqual(['timeout 1@30', 'timeout 2@130', 'timeout 3@230', 'lost@230']);
      expect(manager.running).toBe(false);
    });
  });

  it('a pong resets the miss count', () => {
    scheduler.run(({ flush }) => {
      const misses: number[] = [];
      const manager = new HeartbeatManager(
        { interval: 100, timeout: 30, maxMissed: 2 },
        { onTimeout: (n) => misses.push(n) },
        scheduler,
      );
      manager.start(() => undefined);
      scheduler.schedule(() => manager.handlePong(), 110);
      scheduler.schedule(() => manager.stop(), 450);
      flush();
      expect(misses).toEqual([1, 1, 2]);
    });
  });

  it('throws a TypeError naming a bad option at construction', () => {
    expect(() => new HeartbeatManager({ interval: 0, timeout: 30, maxMissed: 3 }, {})).toThrow(TypeError);
    expect(() => new HeartbeatManager({ interval: 100, timeout: 30, maxMissed: 0 }, {})).toThrow(/maxMissed/);
  });
});
