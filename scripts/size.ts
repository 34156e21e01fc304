// `npm run size`: what the browser entry costs a web app, and proof it pulls in no Node code.
// `-- --files`: bytes per source file; `-- --floor`: the entry without multi-tab and without strings.
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/** Minified + gzipped budget of our code (rxjs and localforage excluded), in bytes. */
export const SIZE_BUDGET = 16 * 1024;

export interface BundleReport {
  minifiedBytes: number;
  gzippedBytes: number;
  /** `importer -> specifier` for every Node built-in or Node-only package the entry reaches. */
  nodeImports: string[];
  /** Our source files in the bundle. */
  inputs: string[];
  /** Minified bytes each source file contributes, largest first. */
  byFile: Array<{ file: string; bytes: number }>;
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

/** How a web app's bundler would take the entry: minified ESM for browsers, rxjs and localforage external. */
const BROWSER_BUNDLE = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  logLevel: 'silent',
  external: ['rxjs', 'rxjs/*', 'localforage'],
} satisfies BuildOptions;

/** Bundles `entry` for browsers with esbuild, rxjs and localforage left external. */
export async function measureBundle(entry = join(ROOT, 'src', 'index.ts')): Promise<BundleReport> {
  const nodeImports: string[] = [];
  const result = await build({
    ...BROWSER_BUNDLE,
    entryPoints: [entry],
    metafile: true,
    plugins: [nodeImportsPlugin(nodeImports)],
  });
  const code = result.outputFiles[0]!.contents;
  return {
    minifiedBytes: code.byteLength,
    gzippedBytes: gzipSync(code, { level: 9 }).byteLength,
    nodeImports,
    inputs: Object.keys(result.metafile.inputs),
    byFile: Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)
      .map(([file, { bytesInOutput }]) => ({ file, bytes: bytesInOutput }))
      .filter(({ bytes }) => bytes > 0)
      .sort((a, b) => b.bytes - a.bytes),
  };
}

/** Stand-ins for the multi-tab modules: browser-platform then finds no tab coordination. */
const WITHOUT_MULTI_TAB: Record<string, string> = {
  'single-sender.ts': 'export class SingleSender {}',
  'leader-gated-storage.ts': 'export class LeaderGatedStorage {}',
  'web-locks-coordination.ts': 'export const webLocksCoordination = () => undefined;',
  'transferable-error.ts': 'export const transferError = () => undefined, reviveError = transferError;',
};

/**
 * What no amount of polishing gets under: the entry without multi-tab, then
 * also with every string literal emptied (messages, event names, protocol
 * words). Evidence for the budget discussion in docs/browser.md, not a build.
 */
export async function measureFloor(): Promise<{ withoutMultiTab: number; withoutStrings: number }> {
  const result = await build({
    ...BROWSER_BUNDLE,
    entryPoints: [join(ROOT, 'src', 'index.ts')],
    plugins: [
      {
        name: 'without-multi-tab',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, ({ path }) => {
            const stub = Object.keys(WITHOUT_MULTI_TAB).find((file) => path.endsWith(`/client/${file}`));
            return stub ? { contents: WITHOUT_MULTI_TAB[stub], loader: 'ts' } : undefined;
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.text;
  const emptied = code.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
  return {
    withoutMultiTab: gzipSync(code, { level: 9 }).byteLength,
    withoutStrings: gzipSync(emptied, { level: 9 }).byteLength,
  };
}

export function formatReport(report: BundleReport): string {
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
  return (
    `rx-reliable-ws browser entry (src/index.ts, rxjs + localforage external): ` +
    `${kb(report.minifiedBytes)} minified, ${kb(report.gzippedBytes)} minified + gzipped ` +
    `(budget ${kb(SIZE_BUDGET)}); Node-only imports: ${report.nodeImports.length === 0 ? 'none' : report.nodeImports.join(', ')}`
  );
}

if (require.main === module) {
  measureBundle().then(
    (report) => {
      console.log(formatReport(report));
      if (process.argv.includes('--files')) {
        for (const { file, bytes } of report.byFile) console.log(`${String(bytes).padStart(7)}  ${file}`);
      }
      if (process.argv.includes('--floor')) {
        void measureFloor().then(({ withoutMultiTab, withoutStrings }) =>
          console.log(
            `floor (minified + gzipped): without multi-tab ${(withoutMultiTab / 1024).toFixed(1)} KB; ` +
              `also with every string literal emptied ${(withoutStrings / 1024).toFixed(1)} KB`,
          ),
        );
      }
      if (report.nodeImports.length > 0 || report.gzippedBytes > SIZE_BUDGET) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
