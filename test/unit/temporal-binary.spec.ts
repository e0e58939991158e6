import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveTemporalBinary, TemporalBinaryNotFoundError } from '../../src/temporal/temporal-binary';

describe('resolveTemporalBinary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bin-'));
  const originalPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = originalPath;
  });

  it('prefers the explicit path over PATH', () => {
    const fake = path.join(dir, 'my-temporal');
    fs.writeFileSync(fake, '#!/bin/sh\necho "temporal version fake"\n', { mode: 0o755 });
    expect(resolveTemporalBinary(fake)).toBe(fake);
  });

  it('refuses an explicit path that is not an executable, saying so', () => {
    expect(() => resolveTemporalBinary(path.join(dir, 'missing'))).toThrow(/HERALD_TEMPORAL_BIN, not an executable file/);
  });

  it('finds the CLI on PATH', () => {
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-path-'));
    fs.writeFileSync(path.join(binDir, 'temporal'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
    process.env.PATH = `${binDir}${path.delimiter}${originalPath}`;
    expect(resolveTemporalBinary()).toBe(path.join(binDir, 'temporal'));
  });

  it('when nothing is found, the error says how to install it', () => {
    let error: unknown;
    try {
      resolveTemporalBinary(undefined, 'temporal-that-does-not-exist');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TemporalBinaryNotFoundError);
    expect((error as Error).message).toContain('pip install temporal-that-does-not-exist-bin');
  });
});
