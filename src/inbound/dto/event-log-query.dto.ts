import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/http/pagination';

export class EventLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['identify', 'track', 'group', 'page', 'screen', 'alias'] })
  @IsOptional()
  @IsIn(['identify', 'track', 'group', 'page', 'screen', 'alias'], { message: 'type must be one of identify, track, group, page, screen, alias' })
  type?: string;

  @ApiPropertyOptional({ description: 'event name (track/page/screen) or event id such as track/Signed Up' })
  @IsOptional()
  @MaxLength(1100)
  @IsString()
  event?: string;

  @ApiPropertyOptional({ enum: ['pending', 'processed', 'duplicate', 'unmapped', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'processed', 'duplicate', 'unmapped', 'failed'], {
    message: 'status must be one of pending, processed, duplicate, unmapped, failed',
  })
  status?: string;
}
