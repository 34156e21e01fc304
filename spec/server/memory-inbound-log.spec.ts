import { MemoryInboundLog } from '../../src/server/memory-inbound-log';
import { describeInboundLog } from '../contracts/describe-inbound-log';

describeInboundLog('MemoryInboundLog', (retention) => new MemoryInboundLog(retention));

describe('MemoryInboundLog', () => {
  it('defaults to 10,000 messages and 600,000 ms per stream', () => {
    expect(new MemoryInboundLog().retention).toEqual({ maxMessages: 10_000, maxAgeMs: 600_000 });
  });

  it('has a new epoch per instance, so a restarted server never resumes an old cursor', () => {
    expect(new MemoryInboundLog().epoch).not.toBe(new MemoryInboundLog().epoch);
  });

  it('refuses a retention that is not a positive integer, naming it', () => {
    expect(() => new MemoryInboundLog({ maxMessages: 0 })).toThrow(/inboundRetention.maxMessages/);
    expect(() => new MemoryInboundLog({ maxAgeMs: 1.5 })).toThrow(/inboundRetention.maxAgeMs/);
  });

  it('holds no more than maxMessages per stream however many are appended', () => {
    const log = new MemoryInboundLog({ maxMessages: 100 });
    for (let i = 0; i < 5000; i++) log.append('s', 'N', i, 0);
    expect(log.size()).toBe(100);
    expect(log.read('s', 0, 1000).firstSeq).toBe(4901);
  });
});
