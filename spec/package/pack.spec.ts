import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDist } from '../browser/helpers/dist-build';

const ROOT = join(__dirname, '..', '..');

interface PackResult {
  files: Array<{ path: string; size: number }>;
}

describe('the published package (npm pack --dry-run)', () => {
  let paths: string[];

  beforeAll(() => {
    ensureDist(); // the package as built from src/ now
    // --ignore-scripts: the spec inspects the dist/ built before the tests (prepack would rebuild it).
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    paths = (JSON.parse(out) as PackResult[])[0]!.files.map((f) => f.path);
  }, 180_000);

  it('holds LICENSE, README, the entries and their types', () => {
    for (const path of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.d.ts',
      'dist/node.cjs',
      'dist/server.mjs',
    ])
      expect(paths).toContain(path);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('has no install-time script: no prepare (npm warns every consumer), the build runs on prepack', () => {
    const { scripts = {} } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    for (const name of ['prepare', 'preinstall', 'install', 'postinstall'])
      expect(scripts[name]).toBeUndefined();
    expect(scripts['prepack']).toMatch(/npm run build/);
  });

  it('ships source maps only with their sources inside (src/ is not shipped)', () => {
    expect(paths.some((p) => p.startsWith('src/'))).toBe(false);
    const maps = paths.filter((p) => p.endsWith('.map'));
    const missing = maps.filter((p) => {
      const map = JSON.parse(readFileSync(join(ROOT, p), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      return map.sources.some((_, i) => typeof map.sourcesContent?.[i] !== 'string');
    });
    expect(missing).toEqual([]);
  });
});
