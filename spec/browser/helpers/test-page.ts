import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT, ensureDist } from './dist-build';

let bundled: Promise<string> | undefined;

/**
 * The test page's script: the real dist/index.mjs (with rxjs and localforage
 * from node_modules) plus the page harness, bundled by esbuild into one ES
 * module. The library code inside is the rollup output, byte for byte.
 */
export function pageScript(): Promise<string> {
  bundled ??= (async () => {
    ensureDist();
    const { build } = await import('esbuild');
    const result = await build({
      stdin: {
        contents:
          "import * as lib from './dist/index.mjs';\n" +
          "import { installHarness } from './spec/browser/page/page-harness.ts';\n" +
          'installHarness(lib);\n',
        resolveDir: ROOT,
        sourcefile: 'test-page-entry.ts',
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  })();
  return bundled;
}

export interface TestPage {
  /** `http://127.0.0.1:<port>/`: a secure context, so Web Locks and crypto exist. */
  url: string;
  close(): Promise<void>;
}

const HTML =
  '<!doctype html><meta charset="utf-8"><title>rx-reliable-ws</title><script type="module" src="/page.js"></script>';

/** Serves the test page from 127.0.0.1 on a free port (each page server is its own origin, so its own IndexedDB). */
export async function startTestPage(): Promise<TestPage> {
  const script = await pageScript();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(HTML);
    } else if (path === '/page.js') {
      response.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'no-store',
      });
      response.end(script);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
