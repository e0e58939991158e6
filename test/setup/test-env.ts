import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What global setup started, handed to test files through a JSON file. */
export interface TestServers {
  databaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
  rootDir: string;
}

export const TEST_SERVERS_FILE = path.join(os.tmpdir(), `herald-test-servers-${process.env.HERALD_TEST_RUN_ID ?? 'default'}.json`);

export function readTestServers(): TestServers {
  return JSON.parse(fs.readFileSync(process.env.HERALD_TEST_SERVERS_FILE ?? TEST_SERVERS_FILE, 'utf8')) as TestServers;
}
