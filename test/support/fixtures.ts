import * as fs from 'node:fs';
import * as path from 'node:path';

/** RudderStack Courier destination payloads from ../shared/fixtures (the repo ships a copy for CI). */
const FIXTURE_DIRS = [
  path.resolve(__dirname, '../../../shared/fixtures/rudderstack-courier'),
  path.resolve(__dirname, '../fixtures/rudderstack-courier'),
];

export function courierFixture(name: string): Record<string, any> {
  for (const dir of FIXTURE_DIRS) {
    const file = path.join(dir, `${name}.json`);
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  throw new Error(`fixture ${name} not found in ${FIXTURE_DIRS.join(', ')}`);
}
