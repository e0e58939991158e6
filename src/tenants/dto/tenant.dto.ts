import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export class PutTenantDto {
  @ApiProperty({ example: 'Acme Inc' })
  @MaxLength(512)
  @IsString({ message: 'name must be a string' })
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @MaxLength(512)
  @IsString({ message: 'parent_tenant_id must be a string' })
  parent_tenant_id?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject({ message: 'properties must be a JSON object' })
  properties?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "default profile values for the tenant's members" })
  @IsOptional()
  @IsObject({ message: 'user_profile must be a JSON object' })
  user_profile?: Record<string, unknown>;
}

export class PutMembershipDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'per-tenant profile of the member' })
  @IsOptional()
  @IsObject({ message: 'profile must be a JSON object' })
  profile?: Record<string, unknown>;
}
