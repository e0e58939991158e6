import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { MappingsService } from '../automations/mappings/mappings.service';
import { TemplatesService } from '../automations/templates/templates.service';
import { ReplayService } from './replay.service';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { EventLogQueryDto } from './dto/event-log-query.dto';
import { EventLogService } from './event-log.service';
import { InboundService } from './inbound.service';
import { RejectionsService } from './rejections.service';
import { ApiError } from '../common/errors/api-error';

const EVENT_BODY = {
  description:
    'A RudderStack/Segment event exactly as the Courier destination sends it, a JSON array of events, or { "batch": [...] }',
  schema: { type: 'object', additionalProperties: true, example: { type: 'track', userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } } },
};

class NewAutomationDto {
  @MaxLength(200)
  @MinLength(1, { message: 'name must not be empty' })
  @IsString({ message: 'name must be a string' })
  name: string;
}

@ApiTags('inbound')
@ApiBearerAuth()
@Controller('inbound')
export class InboundController {
  constructor(
    private readonly inbound: InboundService,
    private readonly eventLog: EventLogService,
    private readonly mappings: MappingsService,
    private readonly templates: TemplatesService,
    private readonly replays: ReplayService,
    private readonly rejections: RejectionsService,
  ) {}

  @Post(['rudderstack', 'segment'])
  @HttpCode(202)
  @ApiOperation({ summary: 'Receive RudderStack (or Segment) events; 202 once durable' })
  @ApiBody(EVENT_BODY)
  @ApiResponse({ status: 202, description: '{ messageId, duplicate? } (or { results: [...] } for a batch)' })
  @ApiResponse({ status: 400, description: 'invalid event, naming the field' })
  @ApiResponse({ status: 413, description: 'body over the size limit' })
  @ApiResponse({ status: 503, description: 'Temporal or Postgres unavailable; retry after Retry-After seconds' })
  async receive(@WorkspaceId() ws: string, @Body() body: unknown) {
    try {
      return await this.inbound.accept(ws, body);
    } catch (err) {
      if (err instanceof ApiError && err.getStatus() === 400) await this.rejections.record(ws, (err.getResponse() as { message: string }).message, body);
      throw err;
    }
  }

  @Get('rejections')
  @ApiOperation({ summary: 'Requests refused as not being RudderStack events at all (400/413), counted per reason, latest first' })
  listRejections(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.rejections.list(ws, page.limit ?? 50, page.cursor);
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

  @Post('events/log/:id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: "Run a logged event again through today's mappings (new runs; the original stays)" })
  replay(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.replays.replay(ws, id);
  }

  @Get('events/:eventId/automations')
  @ApiOperation({ summary: 'Automations linked to an event id (URL-encode it: track%2FSigned%20Up)' })
  async links(@WorkspaceId() ws: string, @Param('eventId') eventId: string) {
    return { event_id: eventId, items: (await this.mappings.targetsFor(ws, [eventId]))[eventId] ?? [] };
  }

  @Put('events/:eventId/automations/:target')
  @ApiOperation({ summary: 'Link an event id to a template (id or alias) or a sequence; applies to events received after' })
  link(@WorkspaceId() ws: string, @Param('eventId') eventId: string, @Param('target') target: string) {
    return this.mappings.link(ws, eventId, target);
  }

  @Delete('events/:eventId/automations/:target')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unlink' })
  async unlink(@WorkspaceId() ws: string, @Param('eventId') eventId: string, @Param('target') target: string): Promise<void> {
    await this.mappings.unlink(ws, eventId, target);
  }

  @Post('events/:eventId/automations')
  @ApiOperation({ summary: 'Create a draft template triggered by this event (recipient refs.data.userId) and link it' })
  async createFromEvent(@WorkspaceId() ws: string, @Param('eventId') eventId: string, @Body() body: NewAutomationDto) {
    const template = await this.templates.create(ws, { name: body.name, steps: [], recipient: 'refs.data.userId', trigger_event_id: eventId });
    await this.mappings.link(ws, eventId, template.id);
    return template;
  }
}
