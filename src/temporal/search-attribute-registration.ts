import type { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { HERALD_SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';

/**
 * Registers Herald's custom search attributes that the namespace lacks. The embedded dev server
 * has them from launch; on an external cluster this needs operator rights, so a refusal is
 * returned for the caller to log rather than thrown (an operator can add them with the CLI).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<{ added: string[]; error?: string }> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
    const missing = HERALD_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
    if (!missing.length) return { added: [] };
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
    });
    return { added: missing.map((key) => key.name) };
  } catch (err) {
    return { added: [], error: (err as Error).message };
  }
}
