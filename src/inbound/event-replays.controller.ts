import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { BulkReplayPageSchema, BulkReplaySchema } from './inbound.responses';
import { ReplayBodyDto } from './dto/replay-body.dto';
import { EventReplaysService } from './event-replays.service';

@ApiTags('inbound')
@ApiBearerAuth()
@Controller('inbound/replays')
export class EventReplaysController {
  constructor(private readonly replays: EventReplaysService) {}

  @Post()
  @HttpCode(202)
  @ApiResponses({ 202: BulkReplaySchema, errors: { 502: true } })
  @ApiOperation({ summary: "Replay every logged event matching the log's filter (type, event, status) through today's links, oldest first, as a durable job with progress" })
  create(@WorkspaceId() ws: string, @Body() body: ReplayBodyDto) {
    return this.replays.create(ws, { type: body.type, event: body.event, status: body.status }, body.max_events ?? 10_000);
  }

  @Get()
  @ApiOperation({ summary: 'Bulk replays, newest first' })
  @ApiResponses({ 200: BulkReplayPageSchema })
  list(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.replays.list(ws, page.limit ?? 50, page.cursor);
  }

  @Get(':replayId')
  @ApiOperation({ summary: "A bulk replay's status and progress" })
  @ApiResponses({ 200: BulkReplaySchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('replayId') id: string) {
    return this.replays.get(ws, id);
  }

  @Post(':replayId/cancel')
  @ApiOperation({ summary: 'Stop a running replay after its current page (runs already started go on); 409 if it has ended' })
  @ApiResponses({ 201: BulkReplaySchema, errors: { 404: 'no such replay', 409: 'the replay has already ended' } })
  cancel(@WorkspaceId() ws: string, @Param('replayId') id: string) {
    return this.replays.cancel(ws, id);
  }
}
