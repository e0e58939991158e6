import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { notFound, tooManyRequests } from '../common/errors/api-error';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { ProviderRateLimiter } from './provider-rate-limiter';
import { testSend } from './provider-test-send';
import { ProviderListSchema, ProviderSchema, ProviderTestResultSchema } from './providers.responses';
import { ProvidersService } from './providers.service';

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProvidersService,
    private readonly limiter: ProviderRateLimiter,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The providers, by channel in the order they are tried' })
  @ApiQuery({ name: 'channel', required: false, enum: ['email', 'sms', 'push', 'chat'] })
  @ApiResponses({ 200: ProviderListSchema, errors: { 400: 'an unknown channel' } })
  list(@WorkspaceId() ws: string, @Query('channel') channel?: string) {
    return this.providers.list(ws, channel);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Create or replace a provider (secrets sealed, shown masked; a secret left out or sent back masked is kept)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['channel', 'provider'],
      properties: {
        channel: { type: 'string', enum: ['email', 'sms', 'push', 'chat'] },
        provider: { type: 'string', example: 'twilio' },
        config: { type: 'object', additionalProperties: true },
        priority: { type: 'integer', default: 100 },
        rate_limit: { type: 'number', nullable: true, description: 'messages per second' },
        max_attempts: { type: 'integer', default: 5 },
        failover_after: { oneOf: [{ type: 'string' }, { type: 'number' }], default: '5m' },
        enabled: { type: 'boolean', default: true },
        receipt_secret: { type: 'string' },
      },
    },
  })
  @ApiResponses({ 200: ProviderSchema, errors: { 400: 'a bad id, provider, channel or config field, naming it' } })
  put(@WorkspaceId() ws: string, @Param('id') id: string, @Body() body: unknown) {
    return this.providers.put(ws, id, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A provider (secrets masked)' })
  @ApiResponses({ 200: ProviderSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.providers.get(ws, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a provider (messages prepared with it fail over past it)' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('id') id: string): Promise<void> {
    await this.providers.delete(ws, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'A test send through this provider only (no retries, no failover): what it answered' })
  @ApiBody({ schema: { type: 'object', properties: { to: { type: 'object', additionalProperties: true }, text: { type: 'string' } } } })
  @ApiResponses({ 200: ProviderTestResultSchema, errors: { 400: 'a missing or bad recipient', 404: true, 429: "the provider's rate limit has no room now (Retry-After)" } })
  async test(@WorkspaceId() ws: string, @Param('id') id: string, @Body() body: unknown) {
    const p = await this.providers.forSend(ws, id);
    if (!p) throw notFound(`provider ${JSON.stringify(id)} not found`);
    // A test send is a real request: it takes a place in the provider's rate window like any send.
    const commit = async () => {
      const claim = await this.limiter.claim(ws, p.id, p.rate_limit);
      if ('waitMs' in claim) throw tooManyRequests(`provider ${JSON.stringify(id)} is at its rate limit (${p.rate_limit}/s); retry later`, Math.max(1, Math.ceil(claim.waitMs / 1000)));
    };
    return testSend(ws, p, body, this.config.allowPrivateNetworks, commit);
  }
}
