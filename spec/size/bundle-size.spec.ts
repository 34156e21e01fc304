import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDist, ROOT } from '../browser/helpers/dist-build';
import { formatReport, measureBundle, SIZE_BUDGET, type BundleReport } from '../../scripts/size';

/**
 * Regression ceilings: today's sizes plus a little room. History of the whole
 * entry (one chunk then): 15.8 KB after the first size pass; issue 13's hardening
 * +0.9 KB, issue 14's frame limits +0.2 KB, issue 10's reliable inbound streams
 * +1.8 KB, issue 12's synchronous send path +0.6 KB, a follower's commit() +0.3 KB:
 * 20.8 KB. Then multi-tab and reliable streams became lazy chunks (docs/browser.md):
 * 19,422 B initial, 23,248 B total on 2026-12-03.
 */
const INITIAL_CEILING = 19 * 1024;
const TOTAL_CEILING = 22.75 * 1024;

/** Every module specifier reached from a built ESM file through relative static imports. */
function staticImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  // Statements only (at the start of a line): strings in the code may mention `from 'ws'`.
  const statements = /^(?:import|export)\b[^;'"]*?(?:\bfrom\s*)?['"]([^'"]+)['"]/gm;
  const specifiers = [...code.matchAll(statements)].map((m) => m[1]!);
  return specifiers.flatMap((s) => (s.startsWith('.') ? staticImports(join(dirname(file), s), seen) : [s]));
}

describe('browser bundle of the main entry', () => {
  let report: BundleReport;

  beforeAll(async () => {
    report = await measureBundle();
    console.log(formatReport(report));
  }, 60_000);

  it('reaches no Node built-in and no Node-only package (ws, fs, node:*)', () => {
    expect(report.nodeImports).toEqual([]);
    expect(report.inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(report.inputs).not.toContain('src/storage/file-storage-adapter.ts');
    expect(report.inputs.filter((p) => p.startsWith('src/server/') || p.startsWith('src/cli/'))).toEqual([]);
  });

  it('the rollup ESM build dist/index.mjs imports only rxjs and localforage', () => {
    ensureDist();
    const external = new Set(staticImports(join(ROOT, 'dist', 'index.mjs')).map((s) => s.split('/')[0]!));
    expect([...external].sort()).toEqual(['localforage', 'rxjs']);
  }, 180_000);

  it('keeps multi-tab and reliable streams out of the initial chunk (lazy chunks of their own)', () => {
    const initial = report.byFile.filter((f) => f.initial).map((f) => f.file);
    for (const lazy of [
      'src/client/single-sender.ts',
      'src/client/transferable-error.ts',
      'src/client/inbound-streams.ts',
      'src/client/inbound-cursor-store.ts',
    ]) {
      expect(initial).not.toContain(lazy);
      expect(report.inputs).toContain(lazy);
    }
  });

  it(`stays under the regression ceilings: initial ${INITIAL_CEILING / 1024} KB, all chunks ${TOTAL_CEILING / 1024} KB (minified + gzipped)`, () => {
    expect(report.initial.gzippedBytes).toBeLessThanOrEqual(INITIAL_CEILING);
    expect(report.total.gzippedBytes).toBeLessThanOrEqual(TOTAL_CEILING);
  });

  // Known gap, reported rather than hidden: the initial chunk is over the budget by 3,038 B, and the
  // client alone by 757 B (docs/browser.md "Size" says where the bytes are; `npm run size -- --exports`).
  // `it.failing` passes while the budget is missed and fails the day it is met: then make it an `it`.
  it.failing(`the initial chunk meets the ${SIZE_BUDGET / 1024} KB minified + gzipped budget`, () => {
    expect(report.initial.gzippedBytes).toBeLessThanOrEqual(SIZE_BUDGET);
  });
});
