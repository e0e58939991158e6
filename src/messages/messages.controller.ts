import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { MessageListQueryDto, SendDto, WebhookHostsDto } from './dto/send.dto';
import { MessagesService } from './messages.service';
import { SecretsService } from './secrets.service';
import { SendService } from './send.service';
import { WebhookHostsService } from './webhook-hosts.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller()
export class MessagesController {
  constructor(
    private readonly send: SendService,
    private readonly messages: MessagesService,
    private readonly secrets: SecretsService,
    private readonly webhookHosts: WebhookHostsService,
  ) {}

  @Post('send')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a message to a user, an email address, or every member of a tenant' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  sendMessage(@WorkspaceId() ws: string, @Body() body: SendDto, @Headers('idempotency-key') key?: string) {
    return this.send.send(ws, body, key);
  }

  @Get('messages')
  @ApiOperation({ summary: 'List messages, newest first' })
  list(@WorkspaceId() ws: string, @Query() q: MessageListQueryDto) {
    return this.messages.list(ws, q, q.limit ?? 50, q.cursor);
  }

  @Get('messages/:id')
  @ApiOperation({ summary: 'A message (times in epoch ms)' })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.messages.view(ws, id);
  }

  @Get('messages/:id/output')
  @ApiOperation({ summary: 'What was rendered and sent per channel (Courier shape: { results: [{ channel, content: { subject, html, text, title, body } }] })' })
  output(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.messages.output(ws, id);
  }

  @Get('messages/:id/history')
  @ApiOperation({ summary: "A message's status history" })
  history(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.messages.history(ws, id);
  }

  @Post('messages/:id/cancel')
  @ApiOperation({ summary: 'Cancel a message before it is sent (409 after)' })
  cancel(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.send.cancel(ws, id);
  }

  @Get('webhooks/signing-secret')
  @ApiOperation({ summary: 'The webhook signing secret, masked' })
  signingSecret(@WorkspaceId() ws: string) {
    return this.secrets.describeWebhookSecret(ws);
  }

  @Get('webhooks/allowed-hosts')
  @ApiOperation({ summary: 'The hosts webhooks may be sent to (null: any public host)' })
  allowedHosts(@WorkspaceId() ws: string) {
    return this.webhookHosts.get(ws);
  }

  @Put('webhooks/allowed-hosts')
  @ApiOperation({ summary: 'Restrict webhook destinations (template or profile chosen) to these hosts ("*.example.com" for subdomains); null lifts it' })
  setAllowedHosts(@WorkspaceId() ws: string, @Body() body: WebhookHostsDto) {
    return this.webhookHosts.set(ws, body.hosts);
  }

  @Post('webhooks/signing-secret')
  @ApiOperation({ summary: 'Make a new webhook signing secret; shown in full this once' })
  rotateSigningSecret(@WorkspaceId() ws: string) {
    return this.secrets.rotateWebhookSecret(ws);
  }
}
