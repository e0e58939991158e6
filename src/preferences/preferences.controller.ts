import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PreferencesService } from './preferences.service';

/** Subscription topics and user preferences, in Courier's shapes. */
@ApiTags('preferences')
@ApiBearerAuth()
@Controller()
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  @Get('subscription-topics')
  @ApiOperation({ summary: "The workspace's subscription topics" })
  topics(@WorkspaceId() ws: string) {
    return this.preferences.listTopics(ws);
  }

  @Get('subscription-topics/:topicId')
  @ApiOperation({ summary: 'A subscription topic' })
  topic(@WorkspaceId() ws: string, @Param('topicId') topicId: string) {
    return this.preferences.getTopic(ws, topicId);
  }

  @Put('subscription-topics/:topicId')
  @ApiOperation({ summary: 'Create or replace a topic: { name, default_status: OPTED_IN | OPTED_OUT | REQUIRED, allowed_channels? }' })
  putTopic(@WorkspaceId() ws: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.putTopic(ws, topicId, body);
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
