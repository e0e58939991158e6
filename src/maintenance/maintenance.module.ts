import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { DashboardStatsModule } from '../dashboard/dashboard-stats.module';
import { MessagesModule } from '../messages/messages.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ReconcilerService } from './reconciler.service';
import { RetentionService } from './retention.service';
import { SweepService } from './sweep.service';

@Module({
  imports: [AutomationsModule, OutboxModule, MessagesModule, DashboardStatsModule],
  providers: [SweepService, ReconcilerService, RetentionService],
  exports: [SweepService, ReconcilerService, RetentionService],
})
export class MaintenanceModule {}
