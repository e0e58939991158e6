import * as fs from 'node:fs';

/** What global setup started, handed to test files through a JSON file. */
export interface TestServers {
  databaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
  rootDir: string;
}

/** Set by global setup to a file in the run's own temporary directory. */
export function readTestServers(): TestServers {
  const file = process.env.HERALD_TEST_SERVERS_FILE;
  if (!file) throw new Error('HERALD_TEST_SERVERS_FILE is not set: run the tests through jest (its global setup starts the servers)');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TestServers;
}
