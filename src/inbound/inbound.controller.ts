import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { MappingsService } from '../automations/mappings/mappings.service';
import { TemplatesService } from '../automations/templates/templates.service';
import { ReplayService } from './replay.service';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { EventLogQueryDto } from './dto/event-log-query.dto';
import { EventLogService } from './event-log.service';
import { InboundService } from './inbound.service';
import { RejectionsService } from './rejections.service';
import { ApiError } from '../common/errors/api-error';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { TemplateSchema } from '../automations/automations.responses';
import { AcceptedSchema, CatalogPageSchema, EventLinkSchema, EventLinksSchema, EventLogEntrySchema, EventLogPageSchema, RejectionPageSchema, ReplaySchema } from './inbound.responses';

const EVENT_BODY = {
  description:
    'A RudderStack/Segment event exactly as the Courier destination sends it, a JSON array of events, or { "batch": [...] }',
  schema: { type: 'object', additionalProperties: true, example: { type: 'track', userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } } },
};

class NewAutomationDto {
  @ApiProperty({ maxLength: 200, example: 'Welcome series' })
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
  @ApiResponses({ 202: AcceptedSchema, errors: { 400: 'not an event: the message names the field', 413: 'body over the size limit', 429: 'the backlog is over its limit', 503: 'Postgres is unavailable' } })
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
  @ApiResponses({ 200: RejectionPageSchema })
  listRejections(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.rejections.list(ws, page.limit ?? 50, page.cursor);
  }

  @Get('events')
  @ApiOperation({ summary: 'The event catalog: one row per event id seen' })
  @ApiResponses({ 200: CatalogPageSchema })
  catalog(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.eventLog.catalog(ws, page.limit ?? 100, page.cursor);
  }

  @Get('events/log')
  @ApiOperation({ summary: 'The raw inbound event log, newest first' })
  @ApiResponses({ 200: EventLogPageSchema })
  log(@WorkspaceId() ws: string, @Query() query: EventLogQueryDto) {
    return this.eventLog.listLog(ws, query, query.limit ?? 50, query.cursor);
  }

  @Get('events/log/:id')
  @ApiOperation({ summary: 'One event log entry' })
  @ApiResponses({ 200: EventLogEntrySchema, errors: [404] })
  logEntry(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.eventLog.getLogEntry(ws, id);
  }

  @Post('events/log/:id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: "Run a logged event again through today's mappings (new runs; the original stays)" })
  @ApiResponses({ 202: ReplaySchema, errors: { 404: 'no such event log entry', 409: 'its body was pruned by retention', 502: true } })
  replay(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.replays.replay(ws, id);
  }

  @Get('events/:eventId/automations')
  @ApiOperation({ summary: 'Automations linked to an event id (URL-encode it: track%2FSigned%20Up)' })
  @ApiResponses({ 200: EventLinksSchema })
  async links(@WorkspaceId() ws: string, @Param('eventId') eventId: string) {
    return { event_id: eventId, items: (await this.mappings.targetsFor(ws, [eventId]))[eventId] ?? [] };
  }

  @Put('events/:eventId/automations/:target')
  @ApiOperation({ summary: 'Link an event id to a template (id or alias) or a sequence; applies to events received after' })
  @ApiResponses({ 200: EventLinkSchema, errors: { 404: 'no such template or sequence' } })
  link(@WorkspaceId() ws: string, @Param('eventId') eventId: string, @Param('target') target: string) {
    return this.mappings.link(ws, eventId, target);
  }

  @Delete('events/:eventId/automations/:target')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unlink' })
  @ApiResponses({ 204: null, errors: { 404: 'not linked' } })
  async unlink(@WorkspaceId() ws: string, @Param('eventId') eventId: string, @Param('target') target: string): Promise<void> {
    await this.mappings.unlink(ws, eventId, target);
  }

  @Post('events/:eventId/automations')
  @ApiOperation({ summary: 'Create a draft template triggered by this event (recipient refs.data.userId) and link it' })
  @ApiResponses({ 201: TemplateSchema })
  async createFromEvent(@WorkspaceId() ws: string, @Param('eventId') eventId: string, @Body() body: NewAutomationDto) {
    const template = await this.templates.create(ws, { name: body.name, steps: [], recipient: 'refs.data.userId', trigger_event_id: eventId });
    await this.mappings.link(ws, eventId, template.id);
    return template;
  }
}
