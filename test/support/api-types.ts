import { execFile } from 'node:child_process';
import * as path from 'node:path';

/** The checked-in types of Herald's API (`npm run openapi:types` writes them). */
export const API_TYPES_FILE = path.resolve(__dirname, 'herald-api.d.ts');

/** openapi-typescript's output for the document, as the checked-in file holds it. */
export function generateApiTypes(document: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(__dirname, 'generate-api-types.mjs')], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`openapi-typescript failed: ${stderr || err.message}`)) : resolve(stdout),
    );
    child.stdin!.end(JSON.stringify(document));
  });
}
