import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Operation } from 'fast-json-patch';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { notFound } from '../common/errors/api-error';
import { ProfileBodyDto, ProfilePatchDto } from './dto/profile.dto';
import { ProfilesService } from './profiles.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { SuccessSchema } from '../common/openapi/schemas';
import { ProfileSchema } from './profiles.responses';

@ApiTags('profiles')
@ApiBearerAuth()
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get(':userId')
  @ApiOperation({ summary: 'Get a profile' })
  @ApiResponses({ 200: ProfileSchema, errors: [404] })
  async get(@WorkspaceId() ws: string, @Param('userId') userId: string) {
    return { profile: await this.profiles.getOrFail(ws, userId) };
  }

  @Post(':userId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deep-merge into a profile (created if missing)' })
  @ApiResponses({ 200: SuccessSchema })
  async merge(@WorkspaceId() ws: string, @Param('userId') userId: string, @Body() body: ProfileBodyDto) {
    await this.profiles.merge(ws, userId, body.profile);
    return { status: 'SUCCESS' };
  }

  @Put(':userId')
  @ApiOperation({ summary: 'Replace a profile' })
  @ApiResponses({ 200: SuccessSchema })
  async replace(@WorkspaceId() ws: string, @Param('userId') userId: string, @Body() body: ProfileBodyDto) {
    await this.profiles.replace(ws, userId, body.profile);
    return { status: 'SUCCESS' };
  }

  @Patch(':userId')
  @ApiOperation({ summary: 'Apply a JSON Patch (RFC 6902) to a profile' })
  @ApiResponses({ 200: SuccessSchema, errors: { 400: 'a bad patch: the message names the failing operation (patch[i])', 404: 'no such profile' } })
  async patch(@WorkspaceId() ws: string, @Param('userId') userId: string, @Body() body: ProfilePatchDto) {
    await this.profiles.patch(ws, userId, body.patch as unknown as Operation[]);
    return { status: 'SUCCESS' };
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a profile' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('userId') userId: string): Promise<void> {
    if (!(await this.profiles.delete(ws, userId))) throw notFound(`profile ${JSON.stringify(userId)} not found`);
  }
}
