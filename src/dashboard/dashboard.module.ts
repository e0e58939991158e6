import { Module } from '@nestjs/common';
import { DashboardStatsModule } from './dashboard-stats.module';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

@Module({ imports: [DashboardStatsModule], controllers: [DashboardController], providers: [DashboardService] })
export class DashboardModule {}
