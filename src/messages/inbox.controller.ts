import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { InboxService } from './inbox.service';

@ApiTags('inbox')
@ApiBearerAuth()
@Controller('inbox')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Get(':userId/messages')
  @ApiOperation({ summary: "A user's inbox, newest first" })
  list(@WorkspaceId() ws: string, @Param('userId') userId: string, @Query() page: PageQueryDto) {
    return this.inbox.list(ws, userId, page.limit ?? 50, page.cursor);
  }

  @Post('messages/:id/opened')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an inbox message opened (message status OPENED)' })
  opened(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.inbox.mark(ws, id, 'opened');
  }

  @Post('messages/:id/clicked')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an inbox message clicked (message status CLICKED)' })
  clicked(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.inbox.mark(ws, id, 'clicked');
  }

  @Post('messages/:id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an inbox message read' })
  read(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.inbox.mark(ws, id, 'read');
  }
}
