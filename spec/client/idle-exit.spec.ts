import { spawn } from 'node:child_process';
import { join } from 'node:path';

describe('ReliableWebSocketClient after disconnect()', () => {
  it('leaves no timer behind: a Node process that is done exits by itself', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '../helpers/idle-exit-child.ts')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const verdict = await Promise.race([
      exited.then((code) => ({ exited: true, code })),
      new Promise<{ exited: false }>((resolve) =>
        setTimeout(() => resolve({ exited: false }), 15_000).unref(),
      ),
    ]);
    if (!verdict.exited) child.kill('SIGKILL');
    expect(out).toContain('acknowledged=true');
    expect(verdict).toEqual({ exited: true, code: 0 });
  }, 20_000);
});
