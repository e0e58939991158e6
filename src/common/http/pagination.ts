import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { badRequest } from '../errors/api-error';

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @MaxLength(4096, { message: 'cursor is not valid' })
  @IsString({ message: 'cursor is not valid' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(500)
  limit?: number;
}

export interface Page<T> {
  items: T[];
  has_more: boolean;
  cursor: string | null;
}

/** One column of a keyset. Timestamps travel as exact epoch microseconds (a JS Date would drop them). */
export interface KeyPart {
  column: string;
  type: 'timestamptz' | 'bigint' | 'uuid' | 'text';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_MICROS = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999Z
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/**
 * Keyset pagination, the one helper every list uses: a page is `ORDER BY <keys>` from just past
 * the previous page's last row. The cursor is opaque to clients (base64url JSON of the last
 * row's keys) and type-checked when it comes back, so a forged or foreign cursor is a 400 naming
 * it, never a SQL cast error. A cursor carries no workspace: every query also filters by the
 * caller's, so another workspace's cursor only points somewhere in yours.
 */
export class Keyset {
  constructor(private readonly parts: KeyPart[], private readonly direction: 'ASC' | 'DESC' = 'DESC') {}

  /** The cursor's values, checked against the key's types (undefined for the first page). */
  decode(cursor: string | undefined): string[] | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    const invalid = () => badRequest('cursor is not valid');
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(values) || values.length !== this.parts.length) throw invalid();
    return values.map((value, i) => {
      if (typeof value !== 'string' || !valid(this.parts[i].type, value)) throw invalid();
      return value;
    });
  }

  /** The WHERE fragment for the page after `cursor` (parameters pushed onto `params`), or null for the first page. */
  where(cursor: string | undefined, params: unknown[]): string | null {
    const values = this.decode(cursor);
    if (!values) return null;
    const left = this.parts.map((p) => p.column).join(', ');
    const right = this.parts.map((p, i) => {
      const n = params.push(values[i]);
      return p.type === 'timestamptz' ? `('epoch'::timestamptz + $${n}::bigint * interval '1 microsecond')` : `$${n}::${p.type}`;
    });
    return `(${left}) ${this.direction === 'DESC' ? '<' : '>'} (${right.join(', ')})`;
  }

  /** The ORDER BY list. */
  orderBy(): string {
    return this.parts.map((p) => `${p.column} ${this.direction}`).join(', ');
  }

  /** Select list entries that carry each row's exact key values (`_k0`, `_k1`, ...) for the cursor. */
  select(): string {
    return this.parts
      .map((p, i) => (p.type === 'timestamptz' ? `(extract(epoch from ${p.column}) * 1000000)::bigint::text AS _k${i}` : `${p.column}::text AS _k${i}`))
      .join(', ');
  }

  /** A page from `limit + 1` rows fetched with select(): the extra row only tells whether more exist. */
  page<R extends Record<string, unknown>, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
    return this.pageOf(rows, limit, map, (row) => this.parts.map((_, i) => String(row[`_k${i}`])));
  }

  /** A page whose cursor values come from the rows themselves (exact keys such as ids and names, not timestamps). */
  pageOf<R, T>(rows: R[], limit: number, map: (row: R) => T, keysOf: (row: R) => string[]): Page<T> {
    const has_more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(map), has_more, cursor: has_more && last ? encode(keysOf(last)) : null };
  }
}

function encode(values: string[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

function valid(type: KeyPart['type'], value: string): boolean {
  switch (type) {
    case 'uuid':
      return UUID.test(value);
    case 'text':
      return value.length <= 2000 && !/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
    case 'bigint':
      return /^\d{1,19}$/.test(value) && BigInt(value) <= MAX_BIGINT;
    case 'timestamptz':
      return /^\d{1,18}$/.test(value) && BigInt(value) <= MAX_MICROS;
  }
}
