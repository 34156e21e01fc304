'use strict';
// `npm start` and `npm test` (their specs load dist/) on a fresh clone: builds dist/ when it is missing or older than src/ (there is no
// prepare script, which would run in every consumer's install), else does nothing.
const { execSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
    const path = join(dir, entry.name);
    return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }, 0);
const built = statSync(join(root, 'dist', 'cli.cjs'), { throwIfNoEntry: false });
if (!built || built.mtimeMs < newest(join(root, 'src'))) {
  console.log('rx-reliable-ws: building dist/ first (npm run build)…');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
