import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { OutboxModule } from '../outbox/outbox.module';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { OutboundService } from './outbound.service';

@Module({
  imports: [MessagesModule, OutboxModule],
  controllers: [IntegrationsController],
  providers: [IntegrationsService, OutboundService],
  exports: [IntegrationsService, OutboundService],
})
export class IntegrationsModule {}
