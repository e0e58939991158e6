import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { EventLogQueryDto } from './dto/event-log-query.dto';
import { EventLogService } from './event-log.service';
import { InboundService } from './inbound.service';

const EVENT_BODY = {
  description:
    'A RudderStack/Segment event exactly as the Courier destination sends it, a JSON array of events, or { "batch": [...] }',
  schema: { type: 'object', additionalProperties: true, example: { type: 'track', userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } } },
};

@ApiTags('inbound')
@ApiBearerAuth()
@Controller('inbound')
export class InboundController {
  constructor(private readonly inbound: InboundService, private readonly eventLog: EventLogService) {}

  @Post(['rudderstack', 'segment'])
  @HttpCode(202)
  @ApiOperation({ summary: 'Receive RudderStack (or Segment) events; 202 once durable' })
  @ApiBody(EVENT_BODY)
  @ApiResponse({ status: 202, description: '{ messageId, duplicate? } (or { results: [...] } for a batch)' })
  @ApiResponse({ status: 400, description: 'invalid event, naming the field' })
  @ApiResponse({ status: 413, description: 'body over the size limit' })
  @ApiResponse({ status: 503, description: 'Temporal or Postgres unavailable; retry after Retry-After seconds' })
  receive(@WorkspaceId() ws: string, @Body() body: unknown) {
    return this.inbound.accept(ws, body);
  }

  @Get('events')
  @ApiOperation({ summary: 'The event catalog: one row per event id seen' })
  catalog(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.eventLog.catalog(ws, page.limit ?? 100, page.cursor);
  }

  @Get('events/log')
  @ApiOperation({ summary: 'The raw inbound event log, newest first' })
  log(@WorkspaceId() ws: string, @Query() query: EventLogQueryDto) {
    return this.eventLog.listLog(ws, query, query.limit ?? 50, query.cursor);
  }

  @Get('events/log/:id')
  @ApiOperation({ summary: 'One event log entry' })
  logEntry(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.eventLog.getLogEntry(ws, id);
  }
}
