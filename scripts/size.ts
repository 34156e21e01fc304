// `npm run size`: what the browser entry costs a web app, and proof it pulls in no Node code.
// `-- --files`: bytes per source file (initial or lazy); `-- --floor`: the initial code without its strings;
// `-- --exports`: what each group of the entry's exports adds to the initial code.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/** Minified + gzipped budget of our code (rxjs and localforage excluded), in bytes. */
export const SIZE_BUDGET = 16 * 1024;

/** Bytes of some chunks of the browser build. */
export interface ChunkSize {
  minifiedBytes: number;
  gzippedBytes: number;
}

export interface BundleReport {
  /**
   * The entry's chunk and the chunks it imports statically, gzipped as one: what
   * a page loads with the library (an app's bundler puts them in one file).
   */
  initial: ChunkSize;
  /** The initial code plus every lazy chunk (loaded by `import()` when a feature is used), each gzipped on its own. */
  total: ChunkSize;
  /** Each lazy chunk: its bytes and our source files in it. */
  lazy: Array<ChunkSize & { inputs: string[] }>;
  /** `importer -> specifier` for every Node built-in or Node-only package the entry reaches. */
  nodeImports: string[];
  /** Our source files in the build (every chunk). */
  inputs: string[];
  /** Minified bytes each source file contributes, largest first, and whether it is in the initial chunks. */
  byFile: Array<{ file: string; bytes: number; initial: boolean }>;
}

const ROOT = join(__dirname, '..');
const NODE_ONLY_PACKAGES = new Set(['ws', 'bufferutil', 'utf-8-validate']);
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Records (and keeps out of the bundle) every import a browser cannot satisfy. */
function nodeImportsPlugin(found: string[]): Plugin {
  return {
    name: 'node-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const p = args.path;
        if (BUILTINS.has(p) || p.startsWith('node:') || NODE_ONLY_PACKAGES.has(packageName(p))) {
          found.push(`${args.importer.replace(`${ROOT}/`, '')} -> ${p}`);
          return { path: p, external: true };
        }
        return undefined;
      });
    },
  };
}

/**
 * How a web app's bundler takes the entry: minified ESM for browsers, code
 * split at every `import()` (those chunks load when first used), rxjs and
 * localforage external.
 */
const BROWSER_BUNDLE = {
  bundle: true,
  minify: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  outdir: join(ROOT, 'size-out'),
  metafile: true,
  logLevel: 'silent',
  external: ['rxjs', 'rxjs/*', 'localforage'],
} satisfies BuildOptions;

type Built = { outputs: Map<string, { code: Uint8Array; inputs: string[] }>; initial: Set<string> };

/**
 * Bundles `entry` (a path, or the source of an entry in src/) as BROWSER_BUNDLE does;
 * `initial` names the entry's chunk and those it imports statically.
 */
async function buildSplit(entry: string | { contents: string }, plugins: Plugin[]): Promise<Built> {
  const from =
    typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: join(ROOT, 'src'), loader: 'ts' as const } };
  const result = await build({ ...BROWSER_BUNDLE, ...from, plugins });
  const outputs = new Map<string, { code: Uint8Array; inputs: string[] }>();
  for (const file of result.outputFiles) {
    const path = file.path.replace(`${ROOT}/`, '');
    const meta = result.metafile.outputs[path];
    if (!meta) continue; // a source map, if ever asked for
    const inputs = Object.entries(meta.inputs)
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([input]) => input);
    outputs.set(path, { code: file.contents, inputs });
  }
  // In the order a bundle holds them: what a chunk imports comes before it.
  const initial = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const i of result.metafile.outputs[path]!.imports)
      if (i.kind === 'import-statement' && !i.external) visit(i.path);
    initial.add(path);
  };
  visit(Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined)![0]);
  return { outputs, initial };
}

const gzipped = (code: Uint8Array | string): number => gzipSync(code, { level: 9 }).byteLength;

/** The chunks as one file: minified and gzipped bytes. */
function sizeOf(chunks: Array<{ code: Uint8Array }>): ChunkSize {
  const code = Buffer.concat(chunks.map((c) => c.code));
  return { minifiedBytes: code.byteLength, gzippedBytes: gzipped(code) };
}

/** Bundles `entry` for browsers with esbuild, code split, rxjs and localforage left external. */
export async function measureBundle(entry = join(ROOT, 'src', 'index.ts')): Promise<BundleReport> {
  const nodeImports: string[] = [];
  const { outputs, initial } = await buildSplit(entry, [nodeImportsPlugin(nodeImports)]);
  const result = await build({ ...BROWSER_BUNDLE, entryPoints: [entry] });
  const chunks = [...outputs];
  const first = sizeOf([...initial].map((path) => outputs.get(path)!));
  const lazy = chunks
    .filter(([path]) => !initial.has(path))
    .map(([, c]) => ({ ...sizeOf([c]), inputs: c.inputs }));
  const byFile = new Map<string, { file: string; bytes: number; initial: boolean }>();
  for (const [path, meta] of Object.entries(result.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(meta.inputs))
      if (bytesInOutput > 0) byFile.set(file, { file, bytes: bytesInOutput, initial: initial.has(path) });
  }
  return {
    initial: first,
    total: {
      minifiedBytes: lazy.reduce((n, c) => n + c.minifiedBytes, first.minifiedBytes),
      gzippedBytes: lazy.reduce((n, c) => n + c.gzippedBytes, first.gzippedBytes),
    },
    lazy,
    nodeImports,
    inputs: [...new Set(chunks.flatMap(([, c]) => c.inputs))],
    byFile: [...byFile.values()].sort((a, b) => b.bytes - a.bytes),
  };
}

/**
 * What no amount of polishing gets under: the initial chunks with every
 * string literal emptied (messages, event names, protocol words). Evidence
 * for the budget discussion in docs/browser.md, not a build.
 */
export async function measureFloor(entry = join(ROOT, 'src', 'index.ts')): Promise<number> {
  const { outputs, initial } = await buildSplit(entry, []);
  const code = Buffer.concat([...initial].map((path) => outputs.get(path)!.code)).toString();
  return gzipped(code.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""'));
}

/**
 * What each group of src/index.ts's value exports (a file of src/client, else a folder) adds
 * to the initial code, minified + gzipped: the entry's initial bytes minus those of the entry
 * without that group. Code a group shares with another is charged to neither: the client
 * costs about nothing here, as `TradingClient` wraps it (its own figure is the "only" line).
 */
export async function measureExports(): Promise<Array<{ group: string; gzippedBytes: number }>> {
  const source = readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8');
  const statements = [...source.matchAll(/^export (?!type\b)[^;]*?from '\.\/([^']+)';/gm)];
  const groupOf = (path: string): string => (path.startsWith('client/') ? path : path.split('/')[0]!);
  const initialBytes = async (contents: string): Promise<number> => {
    const { outputs, initial } = await buildSplit({ contents }, []);
    return gzipped(Buffer.concat([...initial].map((path) => outputs.get(path)!.code)));
  };
  const all = await initialBytes(source);
  const groups = [...new Set(statements.map((m) => groupOf(m[1]!)))];
  const costs = [];
  for (const group of groups) {
    let without = source;
    for (const m of statements) if (groupOf(m[1]!) === group) without = without.replace(m[0], '');
    costs.push({ group, gzippedBytes: all - (await initialBytes(without)) });
  }
  return costs.sort((a, b) => b.gzippedBytes - a.gzippedBytes);
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

export function formatReport(report: BundleReport): string {
  const { initial, total, lazy } = report;
  return [
    `rx-reliable-ws browser entry (src/index.ts, code split, rxjs + localforage external):`,
    `  initial (entry chunk + its static imports, loaded with the library): ${kb(initial.minifiedBytes)} minified, ` +
      `${kb(initial.gzippedBytes)} minified + gzipped (budget ${kb(SIZE_BUDGET)}` +
      (initial.gzippedBytes > SIZE_BUDGET ? `, over by ${initial.gzippedBytes - SIZE_BUDGET} B)` : ', met)'),
    `  total (initial + every lazy chunk, each gzipped alone): ${kb(total.minifiedBytes)} minified, ` +
      `${kb(total.gzippedBytes)} minified + gzipped`,
    ...lazy.map(
      (c) =>
        `  lazy chunk ${kb(c.gzippedBytes)} gzipped: ` +
        c.inputs.map((i) => i.replace(/^src\//, '')).join(', '),
    ),
    `  Node-only imports: ${report.nodeImports.length === 0 ? 'none' : report.nodeImports.join(', ')}`,
  ].join('\n');
}

if (require.main === module) {
  measureBundle().then(
    async (report) => {
      console.log(formatReport(report));
      // What an app that imports only the client pays: its bundler drops the other exports.
      const client = await measureBundle(join(ROOT, 'src', 'client', 'reliable-websocket-client.ts'));
      console.log(
        `  import { ReliableWebSocketClient } only: initial ${kb(client.initial.gzippedBytes)}, ` +
          `total ${kb(client.total.gzippedBytes)} minified + gzipped`,
      );
      if (process.argv.includes('--files')) {
        for (const { file, bytes, initial } of report.byFile)
          console.log(`${String(bytes).padStart(7)}  ${initial ? 'initial' : 'lazy   '}  ${file}`);
      }
      if (process.argv.includes('--floor')) {
        const clientFloor = await measureFloor(join(ROOT, 'src', 'client', 'reliable-websocket-client.ts'));
        console.log(
          `floor (minified + gzipped): the initial chunk with every string literal emptied ${kb(await measureFloor())}` +
            ` (ReliableWebSocketClient only: ${kb(clientFloor)})`,
        );
      }
      if (process.argv.includes('--exports')) {
        console.log(
          'what each export group adds to the initial code (minified + gzipped; shared code in none):',
        );
        for (const { group, gzippedBytes } of await measureExports())
          console.log(`${String(gzippedBytes).padStart(7)}  ${group}`);
      }
      if (report.nodeImports.length > 0 || report.initial.gzippedBytes > SIZE_BUDGET) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
