import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateApiKeyDto {
  @ApiPropertyOptional({ maxLength: 100, example: 'rudderstack 2026-05', default: 'API key' })
  @IsOptional()
  @MaxLength(100, { message: 'name must be at most 100 characters' })
  @IsString({ message: 'name must be a string' })
  name?: string;

  @ApiPropertyOptional({ example: '2030-01-31T09:00:00Z', description: 'ISO-8601 time in the future after which the key is refused' })
  @IsOptional()
  @MaxLength(100, { message: 'expires_at must be an ISO-8601 timestamp' })
  @IsString({ message: 'expires_at must be an ISO-8601 timestamp string' })
  expires_at?: string;

  @ApiPropertyOptional({ example: '7 days', description: 'or: a duration from now ("7 days", "12h", ISO-8601 "P7D"); not with expires_at' })
  @IsOptional()
  @MaxLength(100, { message: 'expires_in must be a duration such as "7 days"' })
  @IsString({ message: 'expires_in must be a duration string such as "7 days"' })
  expires_in?: string;
}

export class UpdateApiKeyDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @MaxLength(100, { message: 'name must be at most 100 characters' })
  @IsString({ message: 'name must be a string' })
  name?: string;

  @ApiPropertyOptional({ example: '2030-01-31T09:00:00Z', nullable: true, type: String, description: 'a new expiry in the future; null removes the expiry' })
  @IsOptional()
  @MaxLength(100, { message: 'expires_at must be an ISO-8601 timestamp' })
  @IsString({ message: 'expires_at must be an ISO-8601 timestamp string or null' })
  expires_at?: string | null;

  @ApiPropertyOptional({ example: '1 day', description: 'or: expire this long from now; not with expires_at' })
  @IsOptional()
  @MaxLength(100, { message: 'expires_in must be a duration such as "7 days"' })
  @IsString({ message: 'expires_in must be a duration string such as "7 days"' })
  expires_in?: string;
}
