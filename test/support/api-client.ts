import type { AddressInfo } from 'node:net';
import createClient, { Client, Middleware } from 'openapi-fetch';
import type { paths } from './herald-api';
import type { TestHerald } from './test-herald';

export type HeraldClient = Client<paths>;

/**
 * A typed client of a test Herald (openapi-fetch over the checked-in types): a test that reads a
 * field the document does not have does not compile. Every response is checked against the live
 * document here too, so a violation fails at the call that got it.
 */
export async function apiClient(herald: TestHerald, auth: { Authorization: string }): Promise<HeraldClient> {
  const server = herald.app.getHttpServer();
  if (!server.address()) await herald.app.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  // Checked here, not again on the server (contract-check.ts skips requests that say so).
  const client = createClient<paths>({ baseUrl: `http://127.0.0.1:${port}`, headers: { ...auth, 'x-herald-contract': 'off' } });
  client.use(checkedBy(herald));
  return client;
}

function checkedBy(herald: TestHerald): Middleware {
  return {
    async onResponse({ request, response }) {
      const url = new URL(request.url);
      const violation = herald.contract.check({
        method: request.method,
        url: `${url.pathname}${url.search}`,
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: await response.clone().text(),
      });
      if (violation) throw new Error(violation);
      return response;
    },
  };
}
