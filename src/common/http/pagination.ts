import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
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

/** Builds a page from `limit + 1` fetched rows: the extra row only tells whether more exist. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const has_more = rows.length > limit;
  const items = rows.slice(0, limit);
  return {
    items: items.map(map),
    has_more,
    cursor: has_more && items.length ? encodeCursor(cursorOf(items[items.length - 1])) : null,
  };
}

export const encodeCursor = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
