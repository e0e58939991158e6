import { Body, Controller, Get, Headers, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { BroadcastsService } from './broadcasts.service';

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
  create(@WorkspaceId() ws: string, @Body() body: Record<string, unknown>, @Headers('idempotency-key') key?: string) {
    return this.broadcasts.create(ws, body, key);
  }

  @Get()
  @ApiOperation({ summary: 'Broadcasts, newest first' })
  list(@WorkspaceId() ws: string, @Query() q: PageQueryDto) {
    return this.broadcasts.list(ws, q.limit ?? 50, q.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A broadcast with its progress (targeted, sent, filtered, failed, pending)' })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.get(ws, id);
  }

  @Post(':id/start')
  @ApiOperation({ summary: 'Start a DRAFT (SCHEDULED until send_at, else RUNNING)' })
  start(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.start(ws, id);
  }

  @Post(':id/pause')
  @ApiOperation({ summary: 'Pause a running or scheduled broadcast' })
  pause(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.pause(ws, id);
  }

  @Post(':id/resume')
  @ApiOperation({ summary: 'Resume a paused broadcast' })
  resume(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.resume(ws, id);
  }

  @Post(':id/cancel')
  @ApiOperation({ summary: 'Cancel: recipients not yet messaged are not messaged' })
  cancel(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.broadcasts.cancel(ws, id);
  }
}
