#!/usr/bin/env node
'use strict';
// The CLI runs from the built package; `npm install` builds it (the `prepare` script).
let cli;
try {
  cli = require('../dist/cli.cjs');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND') {
    console.error('rx-reliable-ws: dist/ is missing; run `npm run build` (npm install does it for you).');
    process.exit(1);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (error) => {
    console.error(`rx-reliable-ws: ${error && error.message ? error.message : error}`);
    process.exit(1);
  },
);
