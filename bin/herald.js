#!/usr/bin/env node
// `herald` command: runs the compiled CLI (npm run build first when working from source).
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'src', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    console.error('Herald is not built yet: run `npm run build` (npm start builds it for you).');
    process.exit(1);
  }
  throw err;
}
cli.runCli(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
