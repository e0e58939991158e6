import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { MessagesModule } from '../messages/messages.module';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { OutboundService } from './outbound.service';

@Module({
  imports: [MessagesModule, AutomationsModule],
  controllers: [IntegrationsController],
  providers: [IntegrationsService, OutboundService],
  exports: [IntegrationsService, OutboundService],
})
export class IntegrationsModule {}
