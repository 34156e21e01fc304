import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { ServerMode } from './harness';

/** A peer's server, wherever it runs. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** What a peer module exports so its server can run in a child process too. */
export type StartServer = () => Promise<RunningServer>;

const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Starts a peer's server in this process (`inproc`, how the reference
 * figures were taken: client and server share one CPU budget) or in a child
 * process (`child`: the client's process.cpuUsage is then the client alone,
 * and the two can use both cores). `modulePath` must export `startServer`.
 */
export async function startPeerServer(
  modulePath: string,
  start: StartServer,
  mode: ServerMode,
): Promise<RunningServer> {
  if (mode === 'inproc') return start();
  const child = fork(path.join(__dirname, 'server-host.ts'), [modulePath], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`server child for ${modulePath} did not start within ${STARTUP_TIMEOUT_MS} ms`));
    }, STARTUP_TIMEOUT_MS);
    child.once('message', (message: { port?: number; error?: string }) => {
      clearTimeout(timer);
      if (typeof message.port === 'number') resolve(message.port);
      else reject(new Error(`server child for ${modulePath} failed: ${message.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server child for ${modulePath} exited with ${code}`));
    });
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(killTimer);
          resolve();
        });
        child.disconnect();
      }),
  };
}
