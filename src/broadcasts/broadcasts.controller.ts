import { Body, Controller, Get, Headers, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { BroadcastsService } from './broadcasts.service';
import { ApiResponses, IDEMPOTENCY_HEADER } from '../common/openapi/api-responses.decorator';
import { BroadcastPageSchema, BroadcastSchema } from './broadcasts.responses';

/** Broadcasts: one template (or automation) to a list, pattern, audience or tenant, paced and durable. */
@ApiTags('broadcasts')
@ApiBearerAuth()
@Controller('broadcasts')
export class BroadcastsController {
  constructor(private readonly broadcasts: BroadcastsService) {}

  @Post()
  @ApiOperation({
    summary:
      'Create a broadcast: { name, list_id | list_pattern | audience_id | tenant_id, template | automation | sequence, data?, send_at?, rate_per_second?, use_recipient_timezone?, start? } (DRAFT unless start: true)',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiResponses({ 201: BroadcastSchema, errors: { 400: 'a bad field, naming it', 404: 'the list, audience, tenant or template named does not exist', 502: true } })
  create(@WorkspaceId() ws: string, @Body() body: Record<string, unknown>, @Headers('idempotency-key') key?: string) {
    return this.broadcasts.create(ws, body, key);
  }

  @Get()
  @ApiOperation({ summary: 'Broadcasts, newest first' })
  @ApiResponses({ 200: BroadcastPageSchema })
  list(@WorkspaceId() ws: string, @Query() q: PageQueryDto) {
    return this.broadcasts.list(ws, q.limit ?? 50, q.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A broadcast with its progress (targeted, sent, filtered, failed, pending)' })
  @ApiResponses({ 200: BroadcastSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.get(ws, id);
  }

  @Post(':id/start')
  @ApiOperation({ summary: 'Start a DRAFT (SCHEDULED until send_at, else RUNNING)' })
  @ApiResponses({ 201: BroadcastSchema, errors: { 404: 'no such broadcast', 409: 'not a DRAFT', 502: true } })
  start(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.start(ws, id);
  }

  @Post(':id/pause')
  @ApiOperation({ summary: 'Pause a running or scheduled broadcast' })
  @ApiResponses({ 201: BroadcastSchema, errors: { 404: 'no such broadcast', 409: 'neither running nor scheduled' } })
  pause(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.pause(ws, id);
  }

  @Post(':id/resume')
  @ApiOperation({ summary: 'Resume a paused broadcast' })
  @ApiResponses({ 201: BroadcastSchema, errors: { 404: 'no such broadcast', 409: 'not paused', 502: true } })
  resume(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.resume(ws, id);
  }

  @Post(':id/cancel')
  @ApiOperation({ summary: 'Cancel: recipients not yet messaged are not messaged' })
  @ApiResponses({ 201: BroadcastSchema, errors: { 404: 'no such broadcast', 409: 'already finished', 502: true } })
  cancel(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.cancel(ws, id);
  }
}
