import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { PreferencesService } from './preferences.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { PreferenceChangePageSchema, PreferencePageSchema, TenantDefaultPreferenceSchema, TopicListSchema, TopicPreferenceSchema, TopicSchema } from './preferences.responses';

/** Subscription topics and user preferences, in Courier's shapes. */
@ApiTags('preferences')
@ApiBearerAuth()
@Controller()
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  // SPEC's paths are /preferences/topics; /subscription-topics is kept as the same resource.
  @Get(['preferences/topics', 'subscription-topics'])
  @ApiOperation({ summary: "The workspace's subscription topics" })
  @ApiResponses({ 200: TopicListSchema })
  topics(@WorkspaceId() ws: string) {
    return this.preferences.listTopics(ws);
  }

  @Get(['preferences/topics/:topicId', 'subscription-topics/:topicId'])
  @ApiOperation({ summary: 'A subscription topic' })
  @ApiResponses({ 200: TopicSchema, errors: [404] })
  topic(@WorkspaceId() ws: string, @Param('topicId') topicId: string) {
    return this.preferences.getTopic(ws, topicId);
  }

  @Put(['preferences/topics/:topicId', 'subscription-topics/:topicId'])
  @ApiOperation({ summary: 'Create or replace a topic: { name, default_status: OPTED_IN | OPTED_OUT | REQUIRED, channels? }' })
  @ApiResponses({ 200: TopicSchema, errors: { 400: 'a bad id or field, naming it' } })
  putTopic(@WorkspaceId() ws: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.putTopic(ws, topicId, body);
  }

  @Delete(['preferences/topics/:topicId', 'subscription-topics/:topicId'])
  @HttpCode(204)
  @ApiOperation({ summary: "Delete a topic and users' choices for it (their change history stays)" })
  @ApiResponses({ 204: null, errors: [404] })
  async deleteTopic(@WorkspaceId() ws: string, @Param('topicId') topicId: string): Promise<void> {
    await this.preferences.deleteTopic(ws, topicId);
  }

  @Get('tenants/:tenantId/default_preferences/items/:topicId')
  @ApiOperation({ summary: "A tenant's default preference for a topic (its members' unless they chose)" })
  @ApiResponses({ 200: TenantDefaultPreferenceSchema, errors: [404] })
  tenantDefault(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Param('topicId') topicId: string) {
    return this.preferences.getTenantDefault(ws, tenantId, topicId);
  }

  @Put('tenants/:tenantId/default_preferences/items/:topicId')
  @ApiOperation({ summary: "Set a tenant's default preference for a topic: { status, has_custom_routing?, custom_routing? }" })
  @ApiResponses({ 200: TenantDefaultPreferenceSchema, errors: { 400: 'a bad field, naming it', 404: 'no such topic' } })
  putTenantDefault(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.putTenantDefault(ws, tenantId, topicId, body);
  }

  @Delete('tenants/:tenantId/default_preferences/items/:topicId')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove a tenant's default preference for a topic" })
  @ApiResponses({ 204: null, errors: [404] })
  async deleteTenantDefault(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Param('topicId') topicId: string): Promise<void> {
    await this.preferences.deleteTenantDefault(ws, tenantId, topicId);
  }

  @Get('users/:userId/preferences')
  @ApiOperation({ summary: "A user's preference for every topic (Courier's shape: items, paging)" })
  @ApiResponses({ 200: PreferencePageSchema })
  list(@WorkspaceId() ws: string, @Param('userId') userId: string) {
    return this.preferences.list(ws, userId);
  }

  @Get('users/:userId/preference-changes')
  @ApiOperation({ summary: "A user's preference changes, newest first, each with its source (api, link, page, mail, identify)" })
  @ApiResponses({ 200: PreferenceChangePageSchema })
  history(@WorkspaceId() ws: string, @Param('userId') userId: string, @Query() q: PageQueryDto) {
    return this.preferences.history(ws, userId, q.limit ?? 50, q.cursor);
  }

  @Get('users/:userId/preferences/:topicId')
  @ApiOperation({ summary: "A user's preference for one topic: { topic: { status, has_custom_routing, custom_routing, ... } }" })
  @ApiResponses({ 200: TopicPreferenceSchema, errors: { 404: 'no such topic' } })
  get(@WorkspaceId() ws: string, @Param('userId') userId: string, @Param('topicId') topicId: string) {
    return this.preferences.get(ws, userId, topicId);
  }

  @Put('users/:userId/preferences/:topicId')
  @ApiOperation({ summary: 'Set a preference: { topic: { status: OPTED_IN | OPTED_OUT, has_custom_routing?, custom_routing? } }' })
  @ApiResponses({ 200: TopicPreferenceSchema, errors: { 400: 'a bad field, naming it', 404: 'no such topic' } })
  put(@WorkspaceId() ws: string, @Param('userId') userId: string, @Param('topicId') topicId: string, @Body() body: Record<string, unknown>) {
    return this.preferences.put(ws, userId, topicId, body);
  }
}
