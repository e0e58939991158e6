// Herald's processes run in UTC (src/main.ts); tests run in-process, so they do too.
process.env.TZ = 'UTC';

/** Fault tests: `npm run test:faults` (also run by .ci/run). Same servers and harness as the main suite. */
const base = require('./jest.config');

module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/faults/**/*.spec.ts'],
  testTimeout: 300_000,
};
