import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { ListsService } from './lists.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { DebugSchema, ListPageSchema, ListSchema, ListSubscriptionPageSchema } from './lists.responses';

class ListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'dotted segments, * for one whole segment: "product.*.eu"' })
  @IsOptional()
  @MaxLength(200, { message: 'pattern is at most 200 characters' })
  @IsString({ message: 'pattern must be a string' })
  pattern?: string;
}

/** Lists in Courier's shapes, as Segment's Courier destination calls them. */
@ApiTags('lists')
@ApiBearerAuth()
@Controller()
export class ListsController {
  constructor(private readonly lists: ListsService) {}

  @Get('lists')
  @ApiOperation({ summary: 'Lists by id, optionally matching a pattern ("product.*": * is one dotted segment)' })
  @ApiResponses({ 200: ListPageSchema, errors: { 400: 'a bad pattern or cursor' } })
  all(@WorkspaceId() ws: string, @Query() q: ListQueryDto) {
    return this.lists.list(ws, q.pattern, q.limit ?? 50, q.cursor);
  }

  @Get('lists/:listId')
  @ApiOperation({ summary: 'A list' })
  @ApiResponses({ 200: ListSchema, errors: [404] })
  one(@WorkspaceId() ws: string, @Param('listId') listId: string) {
    return this.lists.get(ws, listId);
  }

  @Put('lists/:listId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Create or replace a list: { name, preferences? }' })
  @ApiResponses({ 204: null, errors: { 400: 'a bad list id, name or preferences' } })
  async put(@WorkspaceId() ws: string, @Param('listId') listId: string, @Body() body: Record<string, unknown>): Promise<void> {
    await this.lists.put(ws, listId, body);
  }

  @Delete('lists/:listId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a list and its subscriptions' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('listId') listId: string): Promise<void> {
    await this.lists.delete(ws, listId);
  }

  @Get('lists/:listId/subscriptions')
  @ApiOperation({ summary: "A list's subscribers: { items: [{ recipientId, preferences, created }], paging }" })
  @ApiResponses({ 200: ListSubscriptionPageSchema, errors: [404] })
  subscriptions(@WorkspaceId() ws: string, @Param('listId') listId: string, @Query() q: PageQueryDto) {
    return this.lists.subscriptions(ws, listId, q.limit ?? 50, q.cursor);
  }

  @Post('lists/:listId/subscriptions')
  @HttpCode(204)
  @ApiOperation({ summary: 'Subscribe users (up to 1000): { recipients: [{ recipientId, preferences? }] }; existing subscriptions stay' })
  @ApiResponses({ 204: null, errors: { 400: 'bad recipients, naming the entry' } })
  async add(@WorkspaceId() ws: string, @Param('listId') listId: string, @Body() body: { recipients?: unknown }): Promise<void> {
    await this.lists.subscribeMany(ws, listId, body?.recipients, false);
  }

  @Put('lists/:listId/subscriptions')
  @HttpCode(204)
  @ApiOperation({ summary: 'Replace the subscribers (up to 1000): { recipients: [{ recipientId, preferences? }] }' })
  @ApiResponses({ 204: null, errors: { 400: 'bad recipients, naming the entry' } })
  async replace(@WorkspaceId() ws: string, @Param('listId') listId: string, @Body() body: { recipients?: unknown }): Promise<void> {
    await this.lists.subscribeMany(ws, listId, body?.recipients, true);
  }

  @Put('lists/:listId/subscriptions/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Subscribe one user (the list is created if it does not exist): body optional { preferences }' })
  @ApiResponses({ 204: null, errors: { 400: 'a bad list id, user id or preferences' } })
  async subscribe(@WorkspaceId() ws: string, @Param('listId') listId: string, @Param('userId') userId: string, @Body() body: { preferences?: unknown }): Promise<void> {
    await this.lists.subscribe(ws, listId, userId, body);
  }

  @Delete('lists/:listId/subscriptions/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe one user (204 also when they were not subscribed)' })
  @ApiResponses({ 204: null })
  async unsubscribe(@WorkspaceId() ws: string, @Param('listId') listId: string, @Param('userId') userId: string): Promise<void> {
    await this.lists.unsubscribe(ws, listId, userId);
  }

  /** Segment's Courier destination tests its key with POST /debug: a valid key is a 200. */
  @Post('debug')
  @HttpCode(200)
  @ApiOperation({ summary: 'Checks the API key (Courier destination connection test)' })
  @ApiResponses({ 200: DebugSchema })
  debug(@WorkspaceId() ws: string) {
    return { status: 'ok', workspace_id: ws };
  }
}
