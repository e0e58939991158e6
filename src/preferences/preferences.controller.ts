import { Body, Controller, Get, Param, Put } from '@nestjs/common';
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
