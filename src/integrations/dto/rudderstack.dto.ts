import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class RudderstackIntegrationDto {
  @ApiProperty({ description: 'the source write key (stored encrypted, shown masked)' })
  @MaxLength(500)
  @MinLength(1, { message: 'write_key must not be empty' })
  @IsString({ message: 'write_key must be a string' })
  write_key: string;

  @ApiProperty({ example: 'https://your-dataplane.rudderstack.com' })
  @MaxLength(1000)
  @Matches(/^https?:\/\/[^\s/]+/i, { message: 'data_plane_url must be an http(s) URL' })
  @IsString({ message: 'data_plane_url must be an http(s) URL' })
  data_plane_url: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  @ApiPropertyOptional({ default: false, description: 'also emit Automation Run Started/Completed/Canceled/Failed' })
  @IsOptional()
  @IsBoolean({ message: 'journey_events must be true or false' })
  journey_events?: boolean;

  @ApiPropertyOptional({ default: false, description: 'also emit Preference Updated when a user changes a preference (API, link, page, mail, identify)' })
  @IsOptional()
  @IsBoolean({ message: 'preference_events must be true or false' })
  preference_events?: boolean;
}
