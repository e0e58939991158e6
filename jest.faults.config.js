/** Fault tests: `npm run test:faults` (also run by .ci/run). Same servers and harness as the main suite. */
const base = require('./jest.config');

module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/faults/**/*.spec.ts'],
  testTimeout: 300_000,
};
