import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { PreferencesService } from './preferences.service';

/** Subscription topics and user preferences, in Courier's shapes. */
@ApiTags('preferences')
@ApiBearerAuth()
@Controller()
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  // SPEC's paths are /preferences/topics; /subscription-topics is kept as the same resource.
  @Get(['preferences/topics', 'subscription-topics'])
  @ApiOperation({ summary: "The workspace's subscription topics" })
  topics(@WorkspaceId() ws: string) {
    return this.preferences.listTopics(ws);
  }

  @Get(['preferences/topics/:topicId', 'subscription-topics/:topicId'])
  @ApiOperation({ summary: 'A subscription topic' })
  topic(@WorkspaceId() ws: string, @Param('topicId') topicId: string) {
    return this.preferences.getTopic(ws, topicId);
  }

  @Put(['preferences/topics/:topicId', 'subscription-topics/:topicId'])
  @ApiOperation({ summary: 'Create or replace a topic: { name, default_status: OPTED_IN | OPTED_OUT | REQUIRED, channels? }' })
  putTopic(@WorkspaceId() ws: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.putTopic(ws, topicId, body);
  }

  @Delete(['preferences/topics/:topicId', 'subscription-topics/:topicId'])
  @HttpCode(204)
  @ApiOperation({ summary: "Delete a topic and users' choices for it (their change history stays)" })
  async deleteTopic(@WorkspaceId() ws: string, @Param('topicId') topicId: string): Promise<void> {
    await this.preferences.deleteTopic(ws, topicId);
  }

  @Get('tenants/:tenantId/default_preferences/items/:topicId')
  @ApiOperation({ summary: "A tenant's default preference for a topic (its members' unless they chose)" })
  tenantDefault(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Param('topicId') topicId: string) {
    return this.preferences.getTenantDefault(ws, tenantId, topicId);
  }

  @Put('tenants/:tenantId/default_preferences/items/:topicId')
  @ApiOperation({ summary: "Set a tenant's default preference for a topic: { status, has_custom_routing?, custom_routing? }" })
  putTenantDefault(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.putTenantDefault(ws, tenantId, topicId, body);
  }

  @Delete('tenants/:tenantId/default_preferences/items/:topicId')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove a tenant's default preference for a topic" })
  async deleteTenantDefault(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Param('topicId') topicId: string): Promise<void> {
    await this.preferences.deleteTenantDefault(ws, tenantId, topicId);
  }

  @Get('users/:userId/preferences')
  @ApiOperation({ summary: "A user's preference for every topic (Courier's shape: items, paging)" })
  list(@WorkspaceId() ws: string, @Param('userId') userId: string) {
    return this.preferences.list(ws, userId);
  }

  @Get('users/:userId/preference-changes')
  @ApiOperation({ summary: "A user's preference changes, newest first, each with its source (api, link, page, mail, identify)" })
  history(@WorkspaceId() ws: string, @Param('userId') userId: string, @Query() q: PageQueryDto) {
    return this.preferences.history(ws, userId, q.limit ?? 50, q.cursor);
  }

  @Get('users/:userId/preferences/:topicId')
  @ApiOperation({ summary: "A user's preference for one topic: { topic: { status, has_custom_routing, custom_routing, ... } }" })
  get(@WorkspaceId() ws: string, @Param('userId') userId: string, @Param('topicId') topicId: string) {
    return this.preferences.get(ws, userId, topicId);
  }

  @Put('users/:userId/preferences/:topicId')
  @ApiOperation({ summary: 'Set a preference: { topic: { status: OPTED_IN | OPTED_OUT, has_custom_routing?, custom_routing? } }' })
  put(@WorkspaceId() ws: string, @Param('userId') userId: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.put(ws, userId, topicId, body);
  }
}
