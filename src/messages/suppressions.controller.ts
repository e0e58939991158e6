import { Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { SuppressionsService } from './suppressions.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get(':email')
  @ApiOperation({ summary: 'Whether an email address is suppressed, and why (BOUNCED: its server refused it for good)' })
  get(@WorkspaceId() ws: string, @Param('email') email: string) {
    return this.suppressions.get(ws, email);
  }

  @Put(':email')
  @ApiOperation({ summary: 'Suppress an email address (reason MANUAL): the email channel skips it' })
  put(@WorkspaceId() ws: string, @Param('email') email: string) {
    return this.suppressions.put(ws, email);
  }

  @Delete(':email')
  @HttpCode(204)
  @ApiOperation({ summary: 'Send to the address again' })
  async remove(@WorkspaceId() ws: string, @Param('email') email: string): Promise<void> {
    await this.suppressions.remove(ws, email);
  }
}
