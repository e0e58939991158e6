import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { DASHBOARD_WINDOW_NAMES, DashboardWindowName } from './dashboard-window';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { dashboardSchema } from './dashboard.responses';
import { DashboardService } from './dashboard.service';

export class DashboardQueryDto {
  @ApiProperty({ enum: DASHBOARD_WINDOW_NAMES, required: false, default: 'hour', description: 'hour: 60 × 1 min, day: 48 × 30 min, week: 168 × 1 h' })
  @IsOptional()
  @IsIn(DASHBOARD_WINDOW_NAMES, { message: `window must be one of ${DASHBOARD_WINDOW_NAMES.join(', ')}` })
  window?: DashboardWindowName;
}

@ApiTags('dashboard')
@ApiBearerAuth()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @ApiOperation({ summary: "The workspace's inbound events, runs, messages, delivery funnel per template and outbound health for the last hour, day or week" })
  @ApiResponses({ 200: dashboardSchema, errors: { 400: 'window is not hour, day or week' } })
  get(@WorkspaceId() ws: string, @Query() q: DashboardQueryDto) {
    return this.dashboard.dashboard(ws, q.window ?? 'hour');
  }
}
