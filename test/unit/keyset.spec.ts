import { ApiError } from '../../src/common/errors/api-error';
import { Keyset } from '../../src/common/http/pagination';

const keyset = new Keyset([{ column: 'created_at', type: 'timestamptz' }, { column: 'id', type: 'uuid' }]);
const cursorOf = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');
const ID = '3f2b8c8e-5d2a-4c1e-9b7a-0a1b2c3d4e5f';

describe('Keyset pagination', () => {
  it('round-trips the exact key values through an opaque cursor', () => {
    const rows = [{ _k0: '1796167056360123', _k1: ID, n: 1 }, { _k0: '1796167056360122', _k1: ID, n: 2 }];
    const page = keyset.page(rows, 1, (r) => r.n);
    expect(page).toEqual({ items: [1], has_more: true, cursor: expect.any(String) });
    expect(keyset.decode(page.cursor!)).toEqual(['1796167056360123', ID]);
    const params: unknown[] = ['ws'];
    expect(keyset.where(page.cursor!, params)).toBe(`(created_at, id) < (('epoch'::timestamptz + $2::bigint * interval '1 microsecond'), $3::uuid)`);
    expect(params).toEqual(['ws', '1796167056360123', ID]);
    expect(keyset.where(undefined, params)).toBeNull();
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON that is not an array', cursorOf({ a: 1 })],
    ['the wrong number of keys', cursorOf(['1'])],
    ['a number instead of a string', cursorOf([1, ID])],
    ['a timestamp that is not digits', cursorOf(['2026-01-01T00:00:00Z', ID])],
    ['a timestamp past year 9999', cursorOf(['253402300800000000', ID])],
    ['an id that is not a uuid', cursorOf(['1', 'nope'])],
    ['an old-style cursor', Buffer.from(`2026-01-01T00:00:00.000Z|${ID}`).toString('base64url')],
  ])('%s is a 400, not a SQL error', (_name, cursor) => {
    let error: unknown;
    try {
      keyset.decode(cursor);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).getStatus()).toBe(400);
    expect((error as ApiError).getResponse()).toEqual({ message: 'cursor is not valid', type: 'invalid_request_error' });
  });

  it('checks bigint and text keys too', () => {
    const ids = new Keyset([{ column: 'id', type: 'bigint' }]);
    expect(() => ids.decode(cursorOf(['9223372036854775808']))).toThrow(ApiError);
    expect(ids.decode(cursorOf(['9223372036854775807']))).toEqual(['9223372036854775807']);
    const names = new Keyset([{ column: 'event_id', type: 'text' }], 'ASC');
    expect(() => names.decode(cursorOf(['a\u0000b']))).toThrow(ApiError);
    expect(() => names.decode(cursorOf(['\udc00']))).toThrow(ApiError);
    expect(names.decode(cursorOf(['track/Signed Up']))).toEqual(['track/Signed Up']);
    expect(names.where(cursorOf(['x']), [])).toBe('(event_id) > ($1::text)');
  });
});
