import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsArray, IsIn, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { PageQueryDto } from '../../common/http/pagination';
import { MESSAGE_STATUSES } from '../message-status';

export class SendMessageDto {
  @ApiPropertyOptional({ example: 'product-updates', description: "subscription topic (overrides the template's): the recipient's preferences decide" })
  @IsOptional()
  @MaxLength(200, { message: 'message.topic must be at most 200 characters' })
  @IsString({ message: 'message.topic must be a string' })
  topic?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { user_id: 'ada' }, description: '{ user_id?, email?, webhook_url? } or { tenant_id }' })
  @IsObject({ message: 'message.to must be an object' })
  to: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'welcome' })
  @IsOptional()
  @MaxLength(200)
  @IsString({ message: 'message.template must be a string' })
  template?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { title: 'Hello', body: 'Plain content without a template' } })
  @IsOptional()
  @IsObject({ message: 'message.content must be an object with title and body' })
  content?: { title?: string; body?: string };

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject({ message: 'message.data must be a JSON object' })
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { method: 'single', channels: ['email', 'inbox'] } })
  @IsOptional()
  @IsObject({ message: 'message.routing must be an object' })
  routing?: { method?: 'single' | 'all'; channels?: string[] };

  @ApiPropertyOptional({ example: ['email'] })
  @IsOptional()
  @IsArray({ message: 'message.channels must be an array of channel names' })
  channels?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { duration: '10 minutes' } })
  @IsOptional()
  @IsObject({ message: 'message.delay must be { duration } or { until }' })
  delay?: { duration?: string | number; until?: string };
}

export class SendDto {
  @ApiProperty({ type: SendMessageDto })
  @IsObject({ message: 'message must be an object' })
  @ValidateNested()
  @Type(() => SendMessageDto)
  message: SendMessageDto;
}

export class MessageListQueryDto extends PageQueryDto {
  @IsOptional() @MaxLength(512) @IsString() recipient?: string;

  @IsOptional()
  @IsIn(MESSAGE_STATUSES, { message: `status must be one of ${MESSAGE_STATUSES.join(', ')}` })
  status?: string;

  @IsOptional() @MaxLength(64) @IsString() run_id?: string;
}

export class WebhookHostsDto {
  @ApiProperty({ example: ['hooks.example.com', '*.example.org'], nullable: true, type: [String], description: 'null: any public host' })
  @Allow()
  hosts: string[] | null;
}
