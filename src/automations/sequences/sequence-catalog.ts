import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SequenceDefinition } from '../../../workflows/sequences/define-sequence';
import { parseSteps, type Step } from '../../../workflows/shared/step-schema';

export interface SequenceInfo {
  name: string;
  description: string;
  singleton: boolean;
  /** Its outline in the step language (drawn read-only by the Studio), or null. */
  steps: Step[] | null;
}

const SEQUENCES_DIR = path.resolve(__dirname, '../../../workflows/sequences');

let cached: Record<string, SequenceInfo> | undefined;

/**
 * The code sequences, found as `*.sequence.{ts,js}` files (the same files the workflow bundle
 * collects), so that adding a sequence is adding a file.
 */
export function sequenceCatalog(): Record<string, SequenceInfo> {
  if (cached) return cached;
  const out: Record<string, SequenceInfo> = {};
  for (const file of fs.readdirSync(SEQUENCES_DIR)) {
    if (!/\.sequence\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const definition = (require(path.join(SEQUENCES_DIR, file)) as { default: SequenceDefinition }).default;
    out[definition.name] = {
      name: definition.name,
      description: definition.description,
      singleton: Boolean(definition.singleton),
      // Validated like a template, so a broken outline fails at start, not in the Studio.
      steps: definition.outline ? parseSteps(definition.outline, `${definition.name}.outline`) : null,
    };
  }
  cached = out;
  return out;
}

export const SEQUENCE_TARGET_PREFIX = 'sequence:';
