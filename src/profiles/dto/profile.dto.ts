import { ApiProperty } from '@nestjs/swagger';
import { IsArray, IsObject } from 'class-validator';

export class ProfileBodyDto {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { email: 'ada@example.com', plan: 'pro' } })
  @IsObject({ message: 'profile must be a JSON object' })
  profile: Record<string, unknown>;
}

export class ProfilePatchDto {
  @ApiProperty({
    description: 'RFC 6902 JSON Patch operations',
    example: [{ op: 'replace', path: '/plan', value: 'enterprise' }],
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  @IsArray({ message: 'patch must be an array of JSON Patch operations' })
  patch: Array<Record<string, unknown>>;
}
