import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { NotificationsService } from './notifications.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { NotificationPageSchema, NotificationSchema } from './notifications.responses';

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Put(':id')
  @ApiOperation({ summary: 'Create or replace a notification template (Liquid checked on save)' })
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: true,
      example: {
        name: 'Welcome',
        channels: {
          email: { subject: 'Welcome, {{ profile.name }}', html: '<p>Hi {{ profile.name }}, <a href="https://example.com/start">start here</a></p>' },
          inbox: { title: 'Welcome', body: 'Glad you are here', action_url: 'https://example.com/start' },
        },
        routing: { method: 'single', channels: ['email', 'inbox'] },
      },
    },
  })
  @ApiResponses({ 200: NotificationSchema, errors: { 400: 'a bad id, field or Liquid syntax, naming it' } })
  put(@WorkspaceId() ws: string, @Param('id') id: string, @Body() body: unknown) {
    return this.notifications.put(ws, id, body);
  }

  @Get()
  @ApiOperation({ summary: 'List notification templates' })
  @ApiResponses({ 200: NotificationPageSchema })
  list(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.notifications.list(ws, page.limit ?? 50, page.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a notification template' })
  @ApiResponses({ 200: NotificationSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.notifications.get(ws, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a notification template' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('id') id: string): Promise<void> {
    await this.notifications.delete(ws, id);
  }
}
