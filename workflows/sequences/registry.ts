import type { SequenceDefinition } from './define-sequence';

interface WebpackContext {
  keys(): string[];
  (id: string): { default: SequenceDefinition };
}

/**
 * Every `*.sequence.ts` file in this folder, found by the workflow bundler (webpack's
 * require.context): adding a sequence is adding a file. The API finds the same files on disk
 * (src/automations/sequences/sequence-catalog.ts).
 */
function loadSequences(): Record<string, SequenceDefinition> {
  const context = (require as unknown as { context(dir: string, deep: boolean, re: RegExp): WebpackContext }).context(
    '.',
    false,
    /\.sequence\.(ts|js)$/,
  );
  const out: Record<string, SequenceDefinition> = {};
  for (const file of context.keys()) {
    const definition = context(file).default;
    out[definition.name] = definition;
  }
  return out;
}

export const SEQUENCES = loadSequences();
