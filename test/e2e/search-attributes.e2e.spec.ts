import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { randomUUID } from 'node:crypto';
import { ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { HERALD_SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { readTestServers } from '../setup/test-env';
import { waitUntil } from '../support/wait-until';

describe('search attribute registration (for external Temporal clusters)', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: readTestServers().temporalAddress });
  });
  afterAll(() => connection?.close());

  it('adds the missing attributes to a namespace once, then finds nothing to add', async () => {
    const namespace = `ns-${randomUUID().slice(0, 8)}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await waitUntil(async () => (await connection.workflowService.describeNamespace({ namespace })).namespaceInfo, { what: 'namespace' });

    const first = await ensureSearchAttributes(connection, namespace);
    expect(first.error).toBeUndefined();
    expect(first.added.sort()).toEqual(HERALD_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of HERALD_SEARCH_ATTRIBUTES) expect(Object.keys(listed.customAttributes)).toContain(key.name);

    expect(await ensureSearchAttributes(connection, namespace)).toEqual({ added: [] });
  });

  it('reports (does not throw) when the server refuses', async () => {
    const result = await ensureSearchAttributes(connection, 'namespace-that-does-not-exist');
    expect(result.added).toEqual([]);
    expect(result.error).toBeTruthy();
  });
});
