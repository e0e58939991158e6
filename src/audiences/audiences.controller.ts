import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { AudiencesService } from './audiences.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { AudienceMemberPageSchema, AudiencePageSchema, AudienceSchema } from './audiences.responses';

const AUDIENCE_BODY = {
  description:
    'name, and a filter in the structured condition language over { profile, tenants } (tenants: the ids of the user\'s tenants)',
  schema: {
    type: 'object',
    required: ['filter'],
    properties: { name: { type: 'string', maxLength: 200 }, filter: {} },
    example: { name: 'Pro users in Norway', filter: { AND: [['profile.plan', 'is equal', 'pro'], ['profile.country', 'is equal', 'NO']] } },
  },
};

/** Audiences: members follow profile data (SPEC section 8). */
@ApiTags('audiences')
@ApiBearerAuth()
@Controller('audiences')
export class AudiencesController {
  constructor(private readonly audiences: AudiencesService) {}

  @Get()
  @ApiOperation({ summary: 'Audiences by id' })
  @ApiResponses({ 200: AudiencePageSchema })
  list(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.audiences.list(ws, page.limit ?? 50, page.cursor);
  }

  @Get(':audienceId')
  @ApiOperation({ summary: 'An audience: { id, name, filter, member_count, status: READY | COMPUTING, progress, created_at, updated_at }' })
  @ApiResponses({ 200: AudienceSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('audienceId') audienceId: string) {
    return this.audiences.get(ws, audienceId);
  }

  @Put(':audienceId')
  @ApiOperation({ summary: 'Create or replace an audience; a new or changed filter recomputes its members in the background (status COMPUTING, with progress)' })
  @ApiBody(AUDIENCE_BODY)
  @ApiResponses({ 200: AudienceSchema, errors: { 400: 'bad id, name or filter, naming the problem', 502: true } })
  put(@WorkspaceId() ws: string, @Param('audienceId') audienceId: string, @Body() body: Record<string, unknown>) {
    return this.audiences.put(ws, audienceId, body);
  }

  @Delete(':audienceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an audience and its memberships' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('audienceId') audienceId: string): Promise<void> {
    await this.audiences.delete(ws, audienceId);
  }

  @Get(':audienceId/members')
  @ApiOperation({ summary: "An audience's members by user id: { items: [{ user_id, entered_at }], has_more, cursor }" })
  @ApiResponses({ 200: AudienceMemberPageSchema, errors: [404] })
  members(@WorkspaceId() ws: string, @Param('audienceId') audienceId: string, @Query() page: PageQueryDto) {
    return this.audiences.members(ws, audienceId, page.limit ?? 50, page.cursor);
  }
}
