import { Body, Controller, Delete, Get, HttpCode, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { OutboxService } from '../outbox/outbox.service';
import { RudderstackIntegrationDto } from './dto/rudderstack.dto';
import { IntegrationsService } from './integrations.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { RudderstackIntegrationSchema } from './integrations.responses';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations/rudderstack')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService, private readonly outbox: OutboxService) {}

  @Put()
  @ApiOperation({ summary: 'Set the RudderStack outbound integration (write key stored encrypted, shown masked)' })
  @ApiResponses({ 200: RudderstackIntegrationSchema, errors: { 400: 'a bad write key or data plane URL' } })
  async put(@WorkspaceId() ws: string, @Body() body: RudderstackIntegrationDto) {
    const view = await this.integrations.put(ws, body);
    // A waiting emitter (e.g. after a refused write key) retries at once; with Temporal down the sweep does it later.
    void this.outbox.wake(ws, 'integrationChanged');
    return view;
  }

  @Get()
  @ApiOperation({ summary: 'The integration: masked key, data plane, enabled, status and last error, events sent and pending' })
  @ApiResponses({ 200: RudderstackIntegrationSchema, errors: { 404: 'no integration set' } })
  get(@WorkspaceId() ws: string) {
    return this.integrations.get(ws);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the integration (pending events are dropped)' })
  @ApiResponses({ 204: null, errors: { 404: 'no integration set' } })
  async delete(@WorkspaceId() ws: string): Promise<void> {
    await this.integrations.delete(ws);
  }
}
