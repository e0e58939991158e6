import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { SchedulesService } from './schedules.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { SchedulePageSchema, ScheduleSchema, ScheduleTriggeredSchema } from './schedules.responses';

@ApiTags('schedules')
@ApiBearerAuth()
@Controller('schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Put(':id')
  @ApiOperation({ summary: 'Create or replace a schedule (cron, RRULE or one time, in a timezone) backed by a Temporal Schedule' })
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: true,
      example: { cron: '0 9 * * MON', timezone: 'Europe/Oslo', target: { template: 'weekly-digest', to: { list_id: 'digest.subscribers' } }, data: { edition: 'weekly' } },
    },
  })
  @ApiResponses({ 200: ScheduleSchema, errors: { 400: 'a bad timing, zone, target or data, naming it', 502: true } })
  put(@WorkspaceId() ws: string, @Param('id') id: string, @Body() body: unknown) {
    return this.schedules.put(ws, id, body);
  }

  @Get()
  @ApiOperation({ summary: 'List schedules by id (next runs as Herald reads the timing)' })
  @ApiResponses({ 200: SchedulePageSchema })
  list(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.schedules.list(ws, page.limit ?? 50, page.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: "A schedule with its next runs (from the Temporal Schedule) and its last run" })
  @ApiResponses({ 200: ScheduleSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.schedules.get(ws, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a schedule and its Temporal Schedule' })
  @ApiResponses({ 204: null, errors: [404, 502] })
  async delete(@WorkspaceId() ws: string, @Param('id') id: string): Promise<void> {
    await this.schedules.delete(ws, id);
  }

  @Post(':id/trigger')
  @HttpCode(202)
  @ApiOperation({ summary: 'Fire the schedule now (409 while paused)' })
  @ApiResponses({ 202: ScheduleTriggeredSchema, errors: { 404: 'no such schedule', 409: 'the schedule is paused', 502: true } })
  trigger(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.schedules.trigger(ws, id);
  }
}
