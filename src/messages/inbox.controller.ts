import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { InboxService } from './inbox.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { InboxMarkSchema, InboxPageSchema } from './messages.responses';

@ApiTags('inbox')
@ApiBearerAuth()
@Controller('inbox')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Get(':userId/messages')
  @ApiOperation({ summary: "A user's inbox, newest first" })
  @ApiResponses({ 200: InboxPageSchema })
  list(@WorkspaceId() ws: string, @Param('userId') userId: string, @Query() page: PageQueryDto) {
    return this.inbox.list(ws, userId, page.limit ?? 50, page.cursor);
  }

  @Post('messages/:id/opened')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an inbox message opened (message status OPENED)' })
  @ApiResponses({ 200: InboxMarkSchema, errors: [404] })
  opened(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.inbox.mark(ws, id, 'opened');
  }

  @Post('messages/:id/clicked')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an inbox message clicked (message status CLICKED)' })
  @ApiResponses({ 200: InboxMarkSchema, errors: [404] })
  clicked(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.inbox.mark(ws, id, 'clicked');
  }

  @Post('messages/:id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an inbox message read' })
  @ApiResponses({ 200: InboxMarkSchema, errors: [404] })
  read(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.inbox.mark(ws, id, 'read');
  }
}
