import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDist, ROOT } from '../browser/helpers/dist-build';
import { formatReport, measureBundle, SIZE_BUDGET, type BundleReport } from '../../scripts/size';

/**
 * Hard ceiling while the 16 KB budget is unmet: today's size (20.8 KB) plus a
 * little room. 15.8 KB after the size pass; issue 13's hardening added 0.9 KB,
 * issue 14's frame limits and damaged-journal checks 0.2 KB, issue 10's
 * reliable inbound streams (cursors, gaps, manual commit, multi-tab) 1.8 KB,
 * issue 12's synchronous send path (half the bytes allocated per message) 0.6 KB,
 * a follower tab's commit() forwarded to the leader 0.3 KB.
 */
const REGRESSION_CEILING = 21 * 1024;

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

  it(`stays under the regression ceiling of ${REGRESSION_CEILING / 1024} KB minified + gzipped`, () => {
    expect(report.gzippedBytes).toBeLessThanOrEqual(REGRESSION_CEILING);
  });

  // Known gap, reported rather than hidden: the budget is 16 KB and the entry is over it (docs/browser.md).
  // `it.failing` passes while the budget is missed and fails the day it is met: then make it an `it`.
  it.failing(`meets the ${SIZE_BUDGET / 1024} KB minified + gzipped budget`, () => {
    expect(report.gzippedBytes).toBeLessThanOrEqual(SIZE_BUDGET);
  });
});
