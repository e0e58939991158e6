import { bundleWorkflowCode } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The workflow bundle built once at `npm run build` (dist/workflow-bundle.js): a worker that
 * finds it loads it instead of running webpack at start, which saves seconds and about a hundred
 * megabytes of resident memory in every worker process.
 */
export const PREBUILT_BUNDLE = path.resolve(__dirname, '../../workflow-bundle.js');

/** The prebuilt bundle, when it is there and newer than the compiled workflow code it came from. */
export function prebuiltBundle(): string | undefined {
  try {
    const bundle = fs.statSync(PREBUILT_BUNDLE);
    const entry = fs.statSync(path.resolve(__dirname, '../../workflows/index.js'));
    return bundle.mtimeMs >= entry.mtimeMs ? PREBUILT_BUNDLE : undefined;
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
  bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index'), logger: quiet }).then(
    ({ code }) => fs.writeFileSync(PREBUILT_BUNDLE, code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
