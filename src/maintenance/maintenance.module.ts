import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SweepService } from './sweep.service';

@Module({ imports: [AutomationsModule, OutboxModule], providers: [SweepService], exports: [SweepService] })
export class MaintenanceModule {}
