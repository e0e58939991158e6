import { Global, Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { MessagesModule } from '../messages/messages.module';
import { BroadcastsController } from './broadcasts.controller';
import { BroadcastsService } from './broadcasts.service';
import { MANY_RECIPIENTS } from './many-recipients';

/** Global only for MANY_RECIPIENTS, which POST /send (in MessagesModule, below this one) uses. */
@Global()
@Module({
  imports: [MessagesModule, AutomationsModule],
  controllers: [BroadcastsController],
  providers: [BroadcastsService, { provide: MANY_RECIPIENTS, useExisting: BroadcastsService }],
  exports: [BroadcastsService, MANY_RECIPIENTS],
})
export class BroadcastsModule {}
