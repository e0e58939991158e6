import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_REPLAY_EVENTS } from '../event-replays.service';
import { EventLogQueryDto } from './event-log-query.dto';

/** The event log's filter (type, event, status), and how many events at most. */
export class ReplayBodyDto extends PickType(EventLogQueryDto, ['type', 'event', 'status'] as const) {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_REPLAY_EVENTS, default: 10_000, description: 'replay at most this many events (oldest first)' })
  @IsOptional()
  @Type(() => Number)
  // The nearest decorator runs first (and errors stop at the first): the type check before the bounds.
  @Max(MAX_REPLAY_EVENTS, { message: `max_events must be at most ${MAX_REPLAY_EVENTS}` })
  @Min(1, { message: 'max_events must be at least 1' })
  @IsInt({ message: 'max_events must be an integer' })
  max_events?: number;
}
