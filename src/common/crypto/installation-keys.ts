import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HeraldConfig } from '../../config/herald-config';

/**
 * The installation's key material, kept outside Postgres: HERALD_SEALING_KEY (required for
 * `herald api` and `herald worker`, the same in every process), else — `herald start`, one
 * machine — a 0600 key file in the data dir, made once. `previous` are older keys that still
 * open what they sealed (rotation). Everything derived from it (sealed write keys, the Temporal
 * payload codec, the codec endpoint's token) uses its own derivation label.
 */
export function installationKeys(config: Pick<HeraldConfig, 'sealing' | 'dataDir'>): { current: string; previous: string[] } {
  const current = config.sealing.key ?? keyFile(path.join(config.dataDir, 'sealing.key'));
  return { current, previous: config.sealing.previous };
}

/** Each key file is read (or made) once per process: seals, codec and endpoint token all ask for it. */
const keyFiles = new Map<string, string>();
function keyFile(file: string): string {
  let key = keyFiles.get(file);
  if (key === undefined) {
    key = readOrCreateKeyFile(file);
    keyFiles.set(file, key);
  }
  return key;
}

function readOrCreateKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
  }
  return fs.readFileSync(file, 'utf8').trim();
}
