import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class TemplateBodyDto {
  @ApiProperty({ example: 'Checkout reminder' })
  @MaxLength(200)
  @MinLength(1, { message: 'name must not be empty' })
  @IsString({ message: 'name must be a string' })
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'checkout-reminder', description: 'a second id to invoke the template by' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, { message: 'alias must be letters, digits, _, . or -, starting with a letter or digit' })
  alias?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: '${data.userId}-checkout', description: 'literal or reference; runs holding it can be canceled together' })
  @IsOptional()
  @MaxLength(1000)
  @IsString({ message: 'cancelation_token must be a string' })
  cancelation_token?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'refs.data.userId', description: 'who a run is for when the trigger names nobody' })
  @IsOptional()
  @MaxLength(1000)
  @IsString({ message: 'recipient must be a string' })
  recipient?: string | null;

  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, example: [{ action: 'delay', duration: '2 hours' }, { action: 'send', template: 'checkout-reminder' }] })
  @IsArray({ message: 'steps must be an array of steps' })
  steps: unknown[];
}
