import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileInboundLog } from '../../src/server/file-inbound-log';
import { describeInboundLog } from '../contracts/describe-inbound-log';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'inbound-log-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describeInboundLog('FileInboundLog', (retention) => new FileInboundLog(freshDir(), retention));

describe('FileInboundLog', () => {
  it('reopens with the same epoch, every record and the next seq', async () => {
    const dir = freshDir();
    const first = new FileInboundLog(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.append('principal:a', 'FILL', { i }, 1)));
    const { epoch } = await first.position('principal:a');
    await first.close();
    const second = new FileInboundLog(dir);
    expect(await second.position('principal:a')).toEqual({ epoch, lastSeq: 50 });
    const read = await second.read('principal:a', 0, 100);
    expect(read.records.map((r) => r.payload)).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
    expect((await second.append('principal:a', 'FILL', 'next', 2)).seq).toBe(51);
    await second.close();
  });

  it('keeps the newest seq of a stream whose records were all trimmed', async () => {
    const dir = freshDir();
    const first = new FileInboundLog(dir, { maxAgeMs: 10 });
    for (let i = 0; i < 3; i++) await first.append('s', 'N', i, 0);
    expect(await first.trim(1000)).toBe(3);
    await first.close();
    const second = new FileInboundLog(dir, { maxAgeMs: 10 });
    expect(await second.read('s', 0, 10)).toMatchObject({ lastSeq: 3, firstSeq: 4, records: [] });
    expect((await second.append('s', 'N', 3, 2000)).seq).toBe(4);
    await second.close();
  });

  it('rejects listen-time use of a directory it cannot open', async () => {
    const log = new FileInboundLog(path.join(freshDir(), 'missing', '\0bad'));
    await expect(log.ready).rejects.toThrow();
    await expect(log.append('s', 'N', 1, 0)).rejects.toThrow();
  });
});
