import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { DeliveryWindowsService } from './delivery-windows.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { DeliverySettingsSchema } from './messages.responses';

/** The workspace's delivery settings: default time zone and quiet hours. */
@ApiTags('messages')
@ApiBearerAuth()
@Controller('settings/delivery')
export class DeliverySettingsController {
  constructor(private readonly windows: DeliveryWindowsService) {}

  @Get()
  @ApiOperation({ summary: "The workspace's default time zone and quiet hours" })
  @ApiResponses({ 200: DeliverySettingsSchema })
  get(@WorkspaceId() ws: string) {
    return this.windows.settings(ws);
  }

  @Put()
  @ApiOperation({
    summary:
      'Set { default_timezone?: IANA zone | null, quiet_hours?: opening hours | null }: outside quiet_hours (e.g. "Mo-Su 08:00-21:00", in each recipient\'s zone) non-REQUIRED messages are held until it opens',
  })
  @ApiResponses({ 200: DeliverySettingsSchema, errors: { 400: 'an unknown field, zone or window' } })
  put(@WorkspaceId() ws: string, @Body() body: Record<string, unknown>) {
    return this.windows.update(ws, body);
  }
}
