import { Module } from '@nestjs/common';
import { DashboardStatsRepository } from './dashboard-stats.repository';

/** The dashboard's aggregate tables, without the endpoint: the maintenance sweep folds and prunes them in the worker. */
@Module({ providers: [DashboardStatsRepository], exports: [DashboardStatsRepository] })
export class DashboardStatsModule {}
