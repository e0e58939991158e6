import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { MessageListQueryDto, SendDto, WebhookHostsDto } from './dto/send.dto';
import { MessagesService } from './messages.service';
import { SecretsService } from './secrets.service';
import { SendService } from './send.service';
import { WebhookHostsService } from './webhook-hosts.service';
import { ApiResponses, IDEMPOTENCY_HEADER } from '../common/openapi/api-responses.decorator';
import { AllowedHostsSchema, MessageHistorySchema, MessageOutputSchema, MessagePageSchema, MessageSchema, NewSigningSecretSchema, SendAcceptedSchema, SigningSecretSchema } from './messages.responses';

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
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiResponses({ 202: SendAcceptedSchema, errors: { 400: 'invalid message, naming the field', 502: true } })
  sendMessage(@WorkspaceId() ws: string, @Body() body: SendDto, @Headers('idempotency-key') key?: string) {
    return this.send.send(ws, body, key);
  }

  @Get('messages')
  @ApiOperation({ summary: 'List messages, newest first' })
  @ApiResponses({ 200: MessagePageSchema })
  list(@WorkspaceId() ws: string, @Query() q: MessageListQueryDto) {
    return this.messages.list(ws, q, q.limit ?? 50, q.cursor);
  }

  @Get('messages/:id')
  @ApiOperation({ summary: 'A message (times in epoch ms)' })
  @ApiResponses({ 200: MessageSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.messages.view(ws, id);
  }

  @Get('messages/:id/output')
  @ApiOperation({ summary: 'What was rendered and sent per channel (Courier shape: { results: [{ channel, content: { subject, html, text, title, body } }] })' })
  @ApiResponses({ 200: MessageOutputSchema, errors: [404] })
  output(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.messages.output(ws, id);
  }

  @Get('messages/:id/history')
  @ApiOperation({ summary: "A message's status history" })
  @ApiResponses({ 200: MessageHistorySchema, errors: [404] })
  history(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.messages.history(ws, id);
  }

  @Post('messages/:id/cancel')
  @ApiOperation({ summary: 'Cancel a message before it is sent (409 after)' })
  @ApiResponses({ 201: MessageSchema, errors: { 404: 'no such message', 409: 'already sent, or sent by an automation run (cancel the run)' } })
  cancel(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.send.cancel(ws, id);
  }

  @Get('webhooks/signing-secret')
  @ApiOperation({ summary: 'The webhook signing secret, masked' })
  @ApiResponses({ 200: SigningSecretSchema })
  signingSecret(@WorkspaceId() ws: string) {
    return this.secrets.describeWebhookSecret(ws);
  }

  @Get('webhooks/allowed-hosts')
  @ApiOperation({ summary: 'The hosts webhooks may be sent to (null: any public host)' })
  @ApiResponses({ 200: AllowedHostsSchema })
  allowedHosts(@WorkspaceId() ws: string) {
    return this.webhookHosts.get(ws);
  }

  @Put('webhooks/allowed-hosts')
  @ApiOperation({ summary: 'Restrict webhook destinations (template or profile chosen) to these hosts ("*.example.com" for subdomains); null lifts it' })
  @ApiResponses({ 200: AllowedHostsSchema })
  setAllowedHosts(@WorkspaceId() ws: string, @Body() body: WebhookHostsDto) {
    return this.webhookHosts.set(ws, body.hosts);
  }

  @Post('webhooks/signing-secret')
  @ApiOperation({ summary: 'Make a new webhook signing secret; shown in full this once' })
  @ApiResponses({ 201: NewSigningSecretSchema })
  rotateSigningSecret(@WorkspaceId() ws: string) {
    return this.secrets.rotateWebhookSecret(ws);
  }
}
