import { OpenApiContract } from '../support/openapi-contract';

/** The runtime check itself: a checker that accepted everything would pass every e2e test. */
const contract = new OpenApiContract({
  paths: {
    '/things/{id}': {
      get: {
        operationId: 'things_get',
        responses: {
          200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          404: { $ref: '#/components/responses/NotFound' },
        },
      },
      delete: { operationId: 'things_delete', responses: { 204: {} } },
    },
    '/things/special': { get: { operationId: 'things_special', responses: { 200: { content: { 'text/html': {} } } } } },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'at', 'parent'],
        properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time', nullable: true }, parent: { nullable: true, allOf: [{ $ref: '#/components/schemas/Ref' }] } },
      },
      Ref: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      Error: { type: 'object', required: ['message', 'type'], properties: { message: { type: 'string' }, type: { type: 'string' } } },
    },
    responses: { NotFound: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
  },
});

const json = (status: number, body: unknown, url = '/things/1', method = 'GET') => contract.check({ method, url, status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

describe('OpenApiContract.check', () => {
  it('accepts what the document describes, nullable fields and refs included', () => {
    expect(json(200, { id: 'a', at: null, parent: null })).toBeNull();
    expect(json(200, { id: 'a', at: '2030-01-01T00:00:00.000Z', parent: { id: 'b' } }, '/things/1?x=1')).toBeNull();
    expect(json(404, { message: 'no', type: 'not_found_error' })).toBeNull();
    expect(contract.check({ method: 'DELETE', url: '/things/1', status: 204, body: '' })).toBeNull();
  });

  it('refuses an undocumented status, a wrong type, a missing or an undocumented field', () => {
    expect(json(500, { message: 'x', type: 'api_error' })).toMatch(/GET \/things\/\{id\} \(things_get\) answered 500, a status the document does not list/);
    expect(json(200, { id: 1, at: null, parent: null })).toMatch(/\/id must be string/);
    expect(json(200, { id: 'a', at: 'yesterday', parent: null })).toMatch(/\/at must match format "date-time"/);
    expect(json(200, { id: 'a', at: null })).toMatch(/must have required property 'parent'/);
    expect(json(200, { id: 'a', at: null, parent: { id: 'b', extra: 1 } })).toMatch(/\/parent must NOT have additional properties/);
    expect(contract.check({ method: 'DELETE', url: '/things/1', status: 204, contentType: 'application/json', body: '{}' })).toMatch(/says it has none/);
  });

  it('routes a literal segment before a parameter, skips undocumented paths and revalidation', () => {
    expect(contract.check({ method: 'GET', url: '/things/special', status: 200, contentType: 'text/html', body: '<p>' })).toBeNull();
    expect(json(200, { anything: true }, '/studio/app.js')).toBeNull();
    expect(contract.check({ method: 'GET', url: '/things/1', status: 304, body: '', conditional: true })).toBeNull();
    expect(contract.check({ method: 'GET', url: '/things/1', status: 304, body: '' })).toMatch(/304/);
  });
});
