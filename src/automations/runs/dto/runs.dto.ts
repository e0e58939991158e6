import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { PageQueryDto } from '../../../common/http/pagination';

export class RunListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['PROCESSING', 'WAITING', 'PROCESSED', 'CANCELED', 'ERROR'] })
  @IsOptional()
  @IsIn(['PROCESSING', 'WAITING', 'PROCESSED', 'CANCELED', 'ERROR'], { message: 'status must be one of PROCESSING, WAITING, PROCESSED, CANCELED, ERROR' })
  status?: string;

  @ApiPropertyOptional({ description: 'template id, or sequence:<name>' })
  @IsOptional()
  @MaxLength(200)
  @IsString()
  template_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @MaxLength(512)
  @IsString()
  recipient?: string;
}

class RunContextFields {
  @ApiPropertyOptional({ description: 'recipient user id' })
  @IsOptional()
  @MaxLength(512)
  @IsString({ message: 'recipient must be a string (a user id)' })
  recipient?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject({ message: 'data must be a JSON object' })
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject({ message: 'profile must be a JSON object' })
  profile?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString({ message: 'brand must be a string' })
  brand?: string;

  @ApiPropertyOptional({ description: 'default notification template for send steps' })
  @IsOptional()
  @IsString({ message: 'template must be a string' })
  template?: string;
}

export class AdHocAutomationDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  steps: unknown;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString({ message: 'automation.cancelation_token must be a string' })
  cancelation_token?: string;

  // Courier spellings, normalised by the service.
  @IsOptional() @IsString() cancelationToken?: string;
  @IsOptional() @IsString() cancellation_token?: string;
}

export class AdHocInvokeDto extends RunContextFields {
  @ApiProperty({ type: AdHocAutomationDto })
  @IsObject({ message: 'automation must be an object with steps' })
  @ValidateNested()
  @Type(() => AdHocAutomationDto)
  automation: AdHocAutomationDto;
}

export class TemplateInvokeDto extends RunContextFields {}

export class CancelDto {
  @ApiPropertyOptional()
  @IsOptional()
  @MaxLength(1000)
  @IsString({ message: 'cancelation_token must be a string' })
  cancelation_token?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString({ message: 'run_id must be a string' })
  run_id?: string;

  @IsOptional() @IsString() cancelationToken?: string;
  @IsOptional() @IsString() cancellation_token?: string;
}
