import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { DASHBOARD_WINDOW_NAMES, DashboardWindowName } from './dashboard-window';
import { dashboardResponseSchema } from './dashboard.responses';
import { DashboardService } from './dashboard.service';

export class DashboardQueryDto {
  @ApiProperty({ enum: DASHBOARD_WINDOW_NAMES, required: false, default: 'hour', description: 'hour: 60 × 1 min, day: 48 × 30 min, week: 168 × 1 h' })
  @IsOptional()
  @IsIn(DASHBOARD_WINDOW_NAMES, { message: `window must be one of ${DASHBOARD_WINDOW_NAMES.join(', ')}` })
  window?: DashboardWindowName;
}

const errorBody = { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' } } } as const;

@ApiTags('dashboard')
@ApiBearerAuth()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @ApiOperation({ summary: "The workspace's inbound events, runs, messages, delivery funnel per template and outbound health for the last hour, day or week" })
  @ApiOkResponse({ schema: dashboardResponseSchema as object })
  @ApiBadRequestResponse({ description: 'window is not hour, day or week', schema: errorBody })
  @ApiUnauthorizedResponse({ description: 'missing or unknown API key', schema: errorBody })
  @ApiServiceUnavailableResponse({ description: 'Postgres unavailable; retry after Retry-After seconds', schema: errorBody })
  get(@WorkspaceId() ws: string, @Query() q: DashboardQueryDto) {
    return this.dashboard.dashboard(ws, q.window ?? 'hour');
  }
}
