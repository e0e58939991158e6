import { Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { SuppressionsService } from './suppressions.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { SuppressionSchema } from './messages.responses';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get(':email')
  @ApiOperation({ summary: 'Whether an email address is suppressed, and why (BOUNCED: its server refused it for good)' })
  @ApiResponses({ 200: SuppressionSchema, errors: { 400: 'not one plain email address', 404: 'not suppressed' } })
  get(@WorkspaceId() ws: string, @Param('email') email: string) {
    return this.suppressions.get(ws, email);
  }

  @Put(':email')
  @ApiOperation({ summary: 'Suppress an email address (reason MANUAL): the email channel skips it' })
  @ApiResponses({ 200: SuppressionSchema, errors: { 400: 'not one plain email address' } })
  put(@WorkspaceId() ws: string, @Param('email') email: string) {
    return this.suppressions.put(ws, email);
  }

  @Delete(':email')
  @HttpCode(204)
  @ApiOperation({ summary: 'Send to the address again' })
  @ApiResponses({ 204: null, errors: { 400: 'not one plain email address', 404: 'not suppressed' } })
  async remove(@WorkspaceId() ws: string, @Param('email') email: string): Promise<void> {
    await this.suppressions.remove(ws, email);
  }
}
