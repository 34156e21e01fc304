import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { ROOT, ensureDist } from './dist-build';

let bundled: Promise<Map<string, string>> | undefined;

/**
 * The test page's scripts by path: `/page.js`, the real dist/index.mjs (with
 * rxjs and localforage from node_modules) plus the page harness, bundled by
 * esbuild as a web app's bundler would, code split: the library's lazy chunks
 * (multi-tab, reliable streams) are their own files, fetched by `import()`.
 * The library code inside is the rollup output, byte for byte.
 */
export function pageScripts(): Promise<Map<string, string>> {
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
      splitting: true,
      outdir: join(ROOT, 'page-out'),
      entryNames: 'page',
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    return new Map(result.outputFiles.map((file) => [`/${basename(file.path)}`, file.text]));
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
  const scripts = await pageScripts();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(HTML);
    } else if (scripts.has(path)) {
      response.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'no-store',
      });
      response.end(scripts.get(path));
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
