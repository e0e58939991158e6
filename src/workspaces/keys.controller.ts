import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { CreateApiKeyDto, UpdateApiKeyDto } from './dto/api-key.dto';
import { WorkspacesService } from './workspaces.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { ApiKeyListSchema, ApiKeySchema, NewApiKeySchema } from './keys.responses';

/** The calling key's workspace's API keys: several may be active at once, so a key is rotated with an overlap. */
@ApiTags('keys')
@ApiBearerAuth()
@Controller('keys')
export class KeysController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key, optionally expiring (expires_at or expires_in); the full key is in this answer only' })
  @ApiResponses({ 201: NewApiKeySchema })
  create(@WorkspaceId() ws: string, @Body() body: CreateApiKeyDto) {
    return this.workspaces.issueKey(ws, body);
  }

  @Get()
  @ApiOperation({ summary: "The workspace's keys, newest first: masked key_hint, status (active|expired|revoked), created/expires/last used/revoked" })
  @ApiResponses({ 200: ApiKeyListSchema })
  list(@WorkspaceId() ws: string) {
    return this.workspaces.listKeys(ws);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename an active key or set its expiry (null: none), e.g. to let an old key lapse after a rotation' })
  @ApiResponses({ 200: ApiKeySchema, errors: { 404: 'no such key in this workspace', 409: 'the key is revoked or expired, or it is the last active key and would get an expiry' } })
  update(@WorkspaceId() ws: string, @Param('id') id: string, @Body() body: UpdateApiKeyDto) {
    return this.workspaces.updateKey(ws, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke a key (refused with 409 for the workspace's last active key); effective everywhere within seconds" })
  @ApiResponses({ 204: null, errors: { 404: 'no such key in this workspace', 409: "the workspace's last active key" } })
  async revoke(@WorkspaceId() ws: string, @Param('id') id: string): Promise<void> {
    await this.workspaces.revokeKey(ws, id);
  }
}
